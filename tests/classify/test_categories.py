"""Category profiles: calibration, abstention, persistence, long texts, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from claims.cli import app
from classify.categories import (
    EMBEDDING_WEIGHTS,
    CategoryClassifier,
    choose_embedding_weight,
    choose_threshold,
    embed_long,
    fit_temperature,
    softmax,
)
from classify.profiles import CategoryProfile, load_profile, profile_folder, train_and_save, train_profile
from models.registry import ArtifactError
from synth.appeals import generate_appeals


@pytest.fixture(scope="module")
def telecom():
    recs = list(generate_appeals(0, 4, taxonomies=("telecom",)))
    part = {
        s: ([r.text for r in recs if r.split == s], [r.category for r in recs if r.split == s])
        for s in ("train", "validation", "test")
    }
    return part


def test_threshold_is_the_largest_answered_set_at_target_precision():
    """Confidences 0.9..0.5 with correctness T T T F T: precision of the top 3 is 1.0, top 4 is
    0.75, top 5 is 0.8. For a 0.8 target the largest set is all 5, so the threshold is 0.5."""
    conf = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    ok = np.array([True, True, True, False, True])
    t = choose_threshold(conf, ok, 0.8)
    assert (t.threshold, t.coverage) == (0.5, 1.0)
    t = choose_threshold(conf, ok, 0.95)
    assert (t.threshold, t.coverage) == (0.7, 0.6)
    assert choose_threshold(conf, np.zeros(5, bool), 0.9).threshold > 1  # never reached: review all


def test_temperature_softens_overconfident_logits():
    """Logits that are right only 60 % of the time with 99 % confidence need a temperature > 1."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 500)
    logits = np.zeros((500, 3))
    pred = np.where(rng.random(500) < 0.6, y, (y + 1) % 3)
    logits[np.arange(500), pred] = 6.0
    t = fit_temperature(logits, y)
    assert t > 2
    assert softmax(logits / t).max(1).mean() == pytest.approx(0.6, abs=0.08)


def test_long_texts_are_embedded_window_by_window(navec_encoder):
    """A long appeal whose second half is about a different topic: its vector must differ from the
    vector of its first 200 words alone (truncation would make them equal)."""
    head = "Банк списал деньги с карты без моего согласия. " * 30
    tail = "Оператор связи переоформил мой номер на другого человека. " * 30
    v_long, v_head = embed_long(navec_encoder, [head + tail, head])
    assert float(v_long @ v_head) < 0.97
    assert np.linalg.norm(v_long) == pytest.approx(1.0, abs=1e-5)


def test_profile_predicts_calibrated_output_and_round_trips(telecom, navec_encoder, tmp_path):
    profile = train_profile("telecom", telecom["train"], telecom["validation"], navec_encoder)
    preds = profile.predict(telecom["test"][0][:20])
    for p in preds:
        assert p.category in profile.classes and 0 < p.probability <= 1
        assert [t["probability"] for t in p.top] == sorted((t["probability"] for t in p.top), reverse=True)
        assert p.needs_review == (p.probability < profile.threshold.threshold)
    profile.save(tmp_path / "telecom")
    loaded = CategoryProfile.load(tmp_path / "telecom", lambda name: navec_encoder)
    again = loaded.predict(telecom["test"][0][:20])
    assert [p.to_json() for p in again] == [p.to_json() for p in preds]
    meta = json.loads((tmp_path / "telecom" / "meta.json").read_text())
    assert meta["encoder"] == "navec" and len(meta["training_data_sha256"]) == 64


def test_profile_of_joined_encoders_records_them_by_name(telecom, concat_encoder, tmp_path):
    """A profile trained on "e5-small+navec" names that encoder in its meta and loads it back by the name."""
    small = (telecom["train"][0][::3], telecom["train"][1][::3])
    profile = train_profile("both", small, telecom["validation"], concat_encoder, embedding_weight=2.0)
    profile.save(tmp_path / "both")
    assert json.loads((tmp_path / "both" / "meta.json").read_text())["encoder"] == "e5-small+navec"
    asked = []
    loaded = CategoryProfile.load(tmp_path / "both", lambda spec: asked.append(spec) or concat_encoder)
    assert asked == ["e5-small+navec"]  # the loader is asked for the encoder by the joined name
    texts = telecom["test"][0][:5]
    assert [p.to_json() for p in loaded.predict(texts)] == [p.to_json() for p in profile.predict(texts)]


def test_embedding_weight_is_chosen_on_validation(telecom, navec_encoder):
    """Every weight is scored on the validation split, the best one is kept, and the model left behind
    is the one a fresh fit with that weight gives (the shared TF-IDF matrix changes nothing)."""
    (x_tr, y_tr), (x_va, y_va) = telecom["train"], telecom["validation"]
    emb_tr, emb_va = embed_long(navec_encoder, x_tr), embed_long(navec_encoder, x_va)
    clf = CategoryClassifier(encoder=navec_encoder)
    scores = choose_embedding_weight(clf, (x_tr, y_tr), (x_va, y_va), emb_tr, emb_va)
    assert list(scores) == list(EMBEDDING_WEIGHTS)
    assert scores[clf.embedding_weight] == max(scores.values())
    fresh = CategoryClassifier(encoder=navec_encoder, embedding_weight=clf.embedding_weight).fit(
        x_tr, y_tr, embeddings=emb_tr
    )
    np.testing.assert_allclose(
        clf.decision_function(x_va, embeddings=emb_va), fresh.decision_function(x_va, embeddings=emb_va), atol=1e-6
    )
    profile = train_profile("t", (x_tr, y_tr), (x_va, y_va), navec_encoder)
    chosen = profile.meta["embedding_weight_validation_macro_f1"]
    assert profile.classifier.embedding_weight == clf.embedding_weight and len(chosen) == len(EMBEDDING_WEIGHTS)
    fixed = train_profile("t", (x_tr, y_tr), (x_va, y_va), navec_encoder, embedding_weight=8.0)
    assert fixed.classifier.embedding_weight == 8.0 and fixed.meta["embedding_weight_validation_macro_f1"] is None


def test_retraining_is_a_no_op_when_nothing_changed(telecom, navec_encoder, tmp_path):
    folder, trained = train_and_save("t", telecom["train"], telecom["validation"], navec_encoder, tmp_path)
    assert trained and folder == profile_folder(tmp_path, "t")
    _, trained = train_and_save("t", telecom["train"], telecom["validation"], navec_encoder, tmp_path)
    assert not trained
    _, trained = train_and_save(
        "t", (telecom["train"][0][1:], telecom["train"][1][1:]), telecom["validation"], navec_encoder, tmp_path
    )
    assert trained


def test_loading_refuses_a_missing_or_foreign_profile(tmp_path):
    with pytest.raises(ArtifactError, match="no category profile"):
        load_profile(tmp_path, "finance")
    with pytest.raises(ValueError, match="bad profile name"):
        profile_folder(tmp_path, "../etc")


def test_real_e5_profile_separates_two_categories(e5):
    """The shipped encoder inside the model: a small two-class profile classifies paraphrases."""
    recs = [r for r in generate_appeals(1, 3, taxonomies=("finance",)) if r.category in ("osago", "deposits")]
    train = ([r.text for r in recs if r.split != "test"], [r.category for r in recs if r.split != "test"])
    val = ([r.text for r in recs if r.split == "validation"], [r.category for r in recs if r.split == "validation"])
    profile = train_profile("two", train, val, e5)
    got = profile.predict(
        [
            "После аварии страховщик виновника по автогражданке так и не заплатил за ремонт машины.",
            "Банк не начислил обещанные проценты на мой депозит.",
        ]
    )
    assert [p.category for p in got] == ["osago", "deposits"]


def test_cli_train_and_classify(tmp_path, monkeypatch, telecom):
    monkeypatch.setenv("CLAIMS_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CLAIMS_CLASSIFY_ENCODER", "navec")
    data = tmp_path / "mine.jsonl"
    with open(data, "w", encoding="utf-8") as fh:
        for split in ("train", "validation"):
            for t, y in zip(*telecom[split], strict=True):
                fh.write(json.dumps({"body": t, "label": y, "split": split}, ensure_ascii=False) + "\n")
        fh.write("not json\n")
    run = CliRunner().invoke
    res = run(
        app,
        [
            "train",
            "categories",
            "--profile",
            "mine",
            "--data",
            str(data),
            "--text-field",
            "body",
            "--label-field",
            "label",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "1 bad lines skipped" in res.output and "trained" in res.output
    one = run(app, ["classify", "--profile", "mine", "Оператор списывает деньги за подписки, которые я не подключал"])
    assert one.exit_code == 0 and json.loads(one.output)["category"] == "paid_subscriptions"
    batch_in = tmp_path / "in.jsonl"
    batch_in.write_text(
        '{"id": 1, "text": "Связь пропадает дома"}\n{"id": 2}\nnot json\n{"text": "Списали за подписку"}\n',
        encoding="utf-8",
    )
    res = run(app, ["classify", "--profile", "mine", "--jsonl", str(batch_in), "--out", str(tmp_path / "o.jsonl")])
    rows = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [(r["id"], r["line"]) for r in rows] == [(1, 1), (None, 4)]  # the line says which, past skipped ones
    assert set(rows[0]) == {"id", "line", "category", "probability", "needs_review"}
    gone = run(app, ["classify", "--profile", "mine", "--jsonl", str(tmp_path / "nope.jsonl")])
    assert gone.exit_code == 2  # a usage error naming the option (was a FileNotFoundError traceback)
    missing = run(app, ["classify", "--profile", "nope", "текст"])
    assert missing.exit_code == 1 and "no category profile" in missing.output
    # Reviewers' corrections stored by the service join the training data (and change its hash).
    from api.db import Database
    from api.routes.feedback import save_feedback

    monkeypatch.setenv("CLAIMS_DATA_DIR", str(tmp_path / "var"))
    db = Database(tmp_path / "var" / "service.sqlite")
    text = "Оператор списывает деньги за подписки, которые я не подключал"
    save_feedback(db, "category", "pkg_1", "paid_subscriptions", "k1", profile="mine", text=text)
    save_feedback(db, "category", "pkg_2", "paid_subscriptions", "k1", profile="other", text=text)
    db.close()
    args = ["train", "categories", "--profile", "mine", "--data", str(data), "--text-field", "body"]
    res = run(app, [*args, "--label-field", "label", "--with-feedback"])
    assert res.exit_code == 0, res.output
    assert "with 1 reviewer corrections" in res.output and "trained:" in res.output


def test_malformed_labelled_lines_are_skipped_not_read_as_classes(tmp_path):
    """A list or an object where the label belongs was read as a class named "['a']"; a number is a
    label (kept as text)."""
    from classify.training_data import read_labelled

    rows = [{"text": f"обращение {i}", "label": ("a", "b", 3)[i % 3]} for i in range(30)]
    bad = [{"text": "x", "label": ["a"]}, {"text": "x", "label": {"a": 1}}, {"text": "x", "label": True},
           {"text": "x", "label": " "}, {"text": ["x"], "label": "a"}, ["not", "an", "object"]]  # fmt: skip
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows + bad) + "\nnot json\n", "utf-8")
    (_, y_tr), (_, y_va), skipped = read_labelled(path, "text", "label")
    assert skipped == len(bad) + 1 and set(y_tr) | set(y_va) == {"a", "b", "3"}


def test_validation_split_keeps_groups_whole(tmp_path):
    """Without a split field, ``group_field`` puts each group (here a template with near-copies) wholly on
    one side; a group goes with its most common label; every label keeps training data. Without it the
    near-copies of one template land on both sides."""
    from classify.training_data import read_labelled

    path = tmp_path / "mine.jsonl"
    rows = [
        {"text": f"{label} шаблон {g} копия {k}", "label": label, "template": f"{label}-{g}"}
        for label in ("a", "b")
        for g in range(5)
        for k in range(4)
    ]
    rows.append({"text": "b без шаблона", "label": "b"})
    rows.append({"text": "a в группе b-0", "label": "a", "template": "b-0"})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")

    def template(text: str) -> str | None:
        found = [r.get("template") for r in rows if r["text"] == text]
        return found[0]

    (x_tr, y_tr), (x_va, y_va), skipped = read_labelled(path, "text", "label", group_field="template")
    assert skipped == 0 and len(x_tr) + len(x_va) == len(rows)
    assert {template(t) for t in x_tr}.isdisjoint({template(t) for t in x_va} - {None})
    assert set(y_tr) == set(y_va) == {"a", "b"} and 0.1 < len(x_va) / len(rows) < 0.35
    assert ("a в группе b-0" in x_va) == ("b шаблон 0 копия 0" in x_va)  # the mixed group stays together
    (x_tr, _), (x_va, _), _ = read_labelled(path, "text", "label")
    assert {template(t) for t in x_tr} & {template(t) for t in x_va}  # record split: templates on both sides
