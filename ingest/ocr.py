"""OCR of page images through tesseract (``rus+eng``): light preprocessing, word boxes and
confidences, a page confidence, a time limit per page, and pages run in parallel across cores."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ingest.types import IngestError, Word

LANG = "rus+eng"
MIN_SECOND_READING_S = 1.0  # a second reading (local threshold, orientation) is not started with less left
A4_WIDTH_IN = 8.27
TARGET_DPI = 300


class _TesseractEnv(Mapping):
    """The environment of each tesseract process: ours, read live, with one OpenMP thread. Pages run
    in parallel instead, which uses the cores better on multi-page work than tesseract's own
    threading (measured in `claims bench ingest`). Only the child gets the limit: set in our own
    environment it reached FAISS's OpenMP runtime too, whose k-means then never finished."""

    def _env(self) -> dict[str, str]:
        return {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def __getitem__(self, key: str) -> str:
        return self._env()[key]

    def __iter__(self):
        return iter(self._env())

    def __len__(self) -> int:
        return len(self._env())


def _pytesseract():
    import pytesseract

    pytesseract.pytesseract.environ = _TesseractEnv()  # pytesseract passes this dict to Popen
    return pytesseract


@dataclass(frozen=True)
class OcrOptions:
    """Each step runs only where tesseract needs it: on the generated scans (150-300 dpi, tilt up to
    2.5 degrees, a lamp gradient) unconditional upscaling, deskewing and light flattening all raised
    CER (0.62 % raw vs 1.05 % with all three, 16 pages), because tesseract's own binarisation and
    line finding cope with those and every resampling blurs the glyphs."""

    upscale_below_dpi: int = 120  # images under this resolution are enlarged to about 300 dpi
    light_spread: float = 70.0  # flatten the background when its brightness varies more than this
    deskew_above: float = 3.0  # rotate when the estimated skew exceeds this many degrees
    orientation: bool = True  # ask tesseract's OSD when a page reads badly (turned 90/180 degrees)
    # Page segmentation: 6 reads the page as one block of text. The automatic mode (3) dropped whole
    # paragraphs of generated single-column documents (a power of attorney lost its authority
    # clause), at about the same CER elsewhere (1.08 % vs 0.96 % on 30 scanned pages).
    psm: int = 6
    timeout_s: float = 60.0  # one page's time limit, its second readings included
    # A page read with mean word confidence under this is read again with tesseract's local (Sauvola)
    # thresholding, not flattened, and the more confident reading kept. The global threshold, and
    # flattening's contrast stretch on a page that is nearly all paper, turn the grain of a noisy
    # scan into lines of garbage "words": a one-sentence letter degraded at 150 dpi read so 13 times
    # in 40 (CER 3-11 on 1, confidence 24-39), every one at CER 0 (confidence 95) the second way.
    retry_below: float = 60.0


RAW = OcrOptions(upscale_below_dpi=0, light_spread=1e9, deskew_above=1e9, orientation=False, psm=3, retry_below=0)


@dataclass
class OcrResult:
    text: str
    words: list[Word] = field(default_factory=list)
    confidence: float = 0.0  # mean word confidence 0-100
    angle: float = 0.0
    scale: float = 1.0
    second_reading: bool = False  # kept from the second reading, with the local threshold


def available() -> bool:
    return shutil.which("tesseract") is not None


def estimate_dpi(img) -> float:
    """The image's resolution: its own header when plausible, else assume an A4 page width."""
    dpi = img.info.get("dpi")
    if dpi and 50 <= float(dpi[0]) <= 1200:
        return float(dpi[0])
    return max(img.size) / 11.69 if img.size[0] > img.size[1] else img.size[0] / A4_WIDTH_IN


def _background(gray):
    """The paper's brightness: ink removed by a max filter on a reduced copy, then blurred."""
    from PIL import Image, ImageFilter

    small = gray.resize((max(1, gray.width // 8), max(1, gray.height // 8)), Image.BILINEAR)
    return small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(4))


def light_spread(gray) -> float:
    """How unevenly the page is lit: the 5-95 percentile range of the background brightness."""
    lo, hi = np.percentile(np.asarray(_background(gray), dtype=np.float32), [5, 95])
    return float(hi - lo)


def _normalise_light(gray):
    """Flatten uneven lighting: divide by the background (the paper), then stretch."""
    from PIL import Image

    background = np.asarray(_background(gray).resize(gray.size, Image.BILINEAR), dtype=np.float32)
    arr = np.asarray(gray, dtype=np.float32) / np.maximum(background, 1.0) * 255.0
    lo, hi = np.percentile(arr, [1, 99.5])
    arr = (arr - lo) * (255.0 / max(hi - lo, 1.0))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def skew_angle(gray, max_angle: float = 10.0, step: float = 0.5) -> float:
    """The rotation (degrees) that makes text lines horizontal: the angle whose row profile of ink
    is sharpest (projection-profile method, on a reduced copy)."""
    from PIL import Image

    scale = 800 / max(gray.size)
    small = gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))), Image.BILINEAR)
    arr = np.asarray(small, dtype=np.float32)
    ink = Image.fromarray(((arr < arr.mean() - 2 * arr.std() / 3) * 255).astype(np.uint8))
    best, best_score = 0.0, -1.0
    for angle in np.arange(-max_angle, max_angle + 1e-9, step):
        rows = np.asarray(ink.rotate(float(angle), resample=Image.NEAREST), dtype=np.float32).sum(axis=1)
        score = float(np.sum(np.diff(rows) ** 2))
        if score > best_score:
            best, best_score = float(angle), score
    return best


@dataclass
class Prepared:
    """A page made ready for tesseract by :func:`prepare`."""

    image: object
    scale: float = 1.0  # the upscaling applied
    angle: float = 0.0  # the rotation applied, degrees
    flattened: bool = False  # the light normalised


def prepare(img, options: OcrOptions, flatten: bool | None = None) -> Prepared:
    """Grayscale, upscaling of low-dpi images, light normalisation (``flatten``; None: where the
    lighting is uneven) and deskew."""
    from PIL import Image

    gray = img.convert("L")
    scale = 1.0
    dpi = estimate_dpi(img)
    if options.upscale_below_dpi and dpi < options.upscale_below_dpi:
        scale = min(TARGET_DPI / dpi, 3.0)
        gray = gray.resize((int(gray.width * scale), int(gray.height * scale)), Image.LANCZOS)
    flattened = flatten
    if flattened is None:
        flattened = options.light_spread < 255 and light_spread(gray) > options.light_spread
    if flattened:
        gray = _normalise_light(gray)
    angle = skew_angle(gray) if options.deskew_above < 90 else 0.0
    if abs(angle) > options.deskew_above:
        gray = gray.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    else:
        angle = 0.0
    return Prepared(gray, scale, angle, flattened)


_JUNK = re.compile(r"[\\^`~|<>]")
_LETTERS = re.compile(r"[^\W_]{3,}")


def is_noise(text: str, conf: float) -> bool:
    """A "word" tesseract read from a signature stroke, a stamp or a speck: very low confidence and
    either stray symbols or no run of three letters or digits. Dropping these removes most of the
    garbage on signed pages without touching real words (which read with confidence above 20)."""
    return conf < 20 and (bool(_JUNK.search(text)) or not _LETTERS.search(text))


def _run_tesseract(
    img, options: OcrOptions, local_threshold: bool = False, timeout_s: float | None = None
) -> OcrResult:
    """One tesseract reading; ``local_threshold``: Sauvola's binarisation instead of global Otsu;
    ``timeout_s``: the time it may take (default the page's whole ``options.timeout_s``)."""
    pytesseract = _pytesseract()
    config = f"--psm {options.psm}" + (" -c thresholding_method=2" if local_threshold else "")
    try:
        data = pytesseract.image_to_data(
            img,
            lang=LANG,
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=options.timeout_s if timeout_s is None else timeout_s,
        )
    except RuntimeError as exc:  # pytesseract raises RuntimeError on its timeout
        raise IngestError("ocr_timeout", f"распознавание страницы не уложилось в {options.timeout_s:g} с") from exc
    except pytesseract.TesseractError as exc:
        raise IngestError("ocr_failed", f"ошибка tesseract: {exc}") from exc
    lines: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word.strip() and not is_noise(word.strip(), float(data["conf"][i])):
            lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
    words, out_lines, confs = [], [], []
    last_par = None
    for key in sorted(lines, key=lambda k: (k[0], k[1], k[2])):
        idx = lines[key]
        if last_par is not None and key[:2] != last_par:
            out_lines.append("")
        last_par = key[:2]
        out_lines.append(" ".join(data["text"][i].strip() for i in idx))
        for i in idx:
            conf = float(data["conf"][i])
            confs.append(max(conf, 0.0))
            left, top = data["left"][i], data["top"][i]
            words.append(
                Word(
                    text=data["text"][i].strip(),
                    x0=left,
                    y0=top,
                    x1=left + data["width"][i],
                    y1=top + data["height"][i],
                    conf=conf,
                )
            )
    text = "\n".join(out_lines).strip()
    return OcrResult(text, words, float(np.mean(confs)) if confs else 0.0)


def _osd_rotation(img, timeout_s: float) -> int:
    pytesseract = _pytesseract()

    try:
        osd = pytesseract.image_to_osd(img, output_type=pytesseract.Output.DICT, timeout=timeout_s)
    except (RuntimeError, pytesseract.TesseractError):
        return 0
    return int(osd.get("rotate", 0)) % 360


def ocr_image(img, options: OcrOptions = OcrOptions()) -> OcrResult:
    """OCR one page image.

    Raises:
        IngestError: ``ocr_unavailable``, ``ocr_timeout`` or ``ocr_failed``.
    """
    if not available():
        raise IngestError("ocr_unavailable", "tesseract не установлен: сканы не могут быть распознаны")
    deadline = time.monotonic() + options.timeout_s  # the page's time, second readings included

    def left() -> float:
        return deadline - time.monotonic()

    def second(image, local_threshold: bool = False) -> OcrResult | None:
        """Another reading in the page's remaining time; None when there is none or it fails."""
        if left() < MIN_SECOND_READING_S:
            return None
        try:
            return _run_tesseract(image, options, local_threshold, timeout_s=left())
        except IngestError:
            return None

    page = prepare(img, options)
    result = _run_tesseract(page.image, options, timeout_s=max(left(), 0.001))
    if result.confidence < options.retry_below:
        plain = prepare(img, options, flatten=False) if page.flattened else page
        again = second(plain.image, local_threshold=True)
        if again is not None and again.confidence > result.confidence:
            page, result = plain, again
            result.second_reading = True
    prepared, scale, angle = page.image, page.scale, page.angle
    if options.orientation and result.confidence < 50 and left() >= MIN_SECOND_READING_S:
        rotate = _osd_rotation(prepared, left())
        turned = second(prepared.rotate(-rotate, expand=True)) if rotate else None
        if turned is not None and turned.confidence > result.confidence:
            result, angle = turned, angle - rotate
    result.scale, result.angle = scale, angle
    return result


def workers(requested: int = 0) -> int:
    return requested if requested > 0 else max(1, os.cpu_count() or 1)


def ocr_many(images: list, options: OcrOptions = OcrOptions(), n_workers: int = 0) -> list[OcrResult | IngestError]:
    """OCR pages in parallel (each tesseract run is its own process); a page that fails yields its
    error in place of a result, the others are still read."""

    def one(img) -> OcrResult | IngestError:
        try:
            return ocr_image(img, options)
        except IngestError as exc:
            return exc

    if len(images) <= 1:
        return [one(img) for img in images]
    with ThreadPoolExecutor(max_workers=min(workers(n_workers), len(images))) as pool:
        return list(pool.map(one, images))
