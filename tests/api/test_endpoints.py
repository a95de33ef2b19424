"""Each /v1 endpoint: success, bad input (4xx problem+json with a code), missing or wrong key (401)
and a role that may not (403)."""

from __future__ import annotations

import json

import pytest

PROBLEM = "application/problem+json"


def assert_problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code and body["status"] == status, body
    assert body["request_id"] == r.headers["x-request-id"]
    return body


def _package_files(small_dataset, process: str) -> tuple[dict, list]:
    with open(small_dataset / "packages.jsonl", encoding="utf-8") as fh:
        rec = next(r for r in map(json.loads, fh) if r["process"] == process and r["defect"] is None)
    root = small_dataset / "packages"
    files = [("files", (d["pdf"], (root / d["pdf"]).read_bytes(), "application/pdf")) for d in rec["documents"]]
    return rec, files


ROUTES = [
    ("post", "/v1/appeals/classify", {"json": {"text": "Банк списал комиссию", "profile": "finance"}}),
    ("post", "/v1/refunds/assess", {"json": {"text": "Прошу вернуть деньги за телефон"}}),
    ("post", "/v1/decisions/search", {"json": {"query": "комиссия"}}),
    ("get", "/v1/jobs/job_x", {}),
    ("get", "/v1/packages/pkg_x", {}),
    ("post", "/v1/feedback", {"json": {"kind": "doc_type", "label": "other"}}),
    ("delete", "/v1/decisions/x", {}),
    ("get", "/v1/decisions/x", {}),
    ("put", "/v1/decisions/x", {"json": {"text": "t"}}),
    ("post", "/v1/decisions", {"json": {"id": "x", "text": "t"}}),
    ("post", "/v1/packages", {"files": [("files", ("a.txt", b"x", "text/plain"))]}),
]


@pytest.mark.parametrize(("method", "path", "kw"), ROUTES)
def test_every_v1_route_needs_a_valid_key(service, method, path, kw):
    c = service.client
    assert_problem(getattr(c, method)(path, **kw), 401, "missing_api_key")
    assert_problem(getattr(c, method)(path, headers={"X-API-Key": "clm_0000_wrong"}, **kw), 401, "invalid_api_key")


def test_roles_limit_routes(service):
    c = service.client
    assert_problem(c.delete("/v1/decisions/dec-000000", headers=service.h("intake")), 403, "forbidden")
    assert_problem(c.delete("/v1/decisions/dec-000000", headers=service.h("reviewer")), 403, "forbidden")
    body = {"kind": "doc_type", "label": "other"}
    assert_problem(c.post("/v1/feedback", json=body, headers=service.h("intake")), 403, "forbidden")
    new = {"id": "x-1", "text": "Текст решения."}
    assert_problem(c.post("/v1/decisions", json=new, headers=service.h("intake")), 403, "forbidden")


def test_classify(service):
    c = service.client
    r = c.post(
        "/v1/appeals/classify",
        json={
            "text": "Банк без моего согласия подключил страховку при выдаче кредита и отказывается её отключить.",
            "profile": "finance",
        },
        headers=service.h("intake"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["category"] in service.state.profiles["finance"].classes
    assert 0 < body["probability"] <= 1 and isinstance(body["needs_review"], bool)
    assert body["top"][0]["category"] == body["category"]
    assert_problem(c.post("/v1/appeals/classify", json={"text": "   "}, headers=service.h("intake")), 422, "empty_text")
    assert_problem(
        c.post("/v1/appeals/classify", json={"text": "x", "profile": "nope"}, headers=service.h("intake")),
        422,
        "unknown_profile",
    )
    assert_problem(c.post("/v1/appeals/classify", json={}, headers=service.h("intake")), 422, "validation_error")


def test_refund_assess(service):
    c = service.client
    letter = (
        "Я купил смартфон 1 марта 2025 года за 45 990 рублей в магазине. 20 марта 2025 года он перестал "
        "включаться. Прошу вернуть деньги."
    )
    r = c.post("/v1/refunds/assess", json={"text": letter}, headers=service.h("intake"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] in ("likely_valid", "likely_invalid", "needs_review")
    assert body["facts"]["price"] == 45990
    for bad in ({}, {"text": "a", "facts": {}}, {"text": "  "}):
        assert_problem(c.post("/v1/refunds/assess", json=bad, headers=service.h("intake")), 422, "facts_or_text")
    r = c.post("/v1/refunds/assess", json={"facts": {"transfer_date": "not a date"}}, headers=service.h("intake"))
    assert_problem(r, 422, "bad_facts")
    # a misspelt fact is refused, not dropped (it was: the verdict then read the fact as unknown)
    r = c.post("/v1/refunds/assess", json={"facts": {"purchase_date": "2024-01-10"}}, headers=service.h("intake"))
    assert assert_problem(r, 422, "bad_facts")["errors"][0]["loc"] == ["purchase_date"]
    repair = {"handed_over": "2024-02-01", "returnd": "2024-03-20"}  # a repair's field misspelt
    r = c.post("/v1/refunds/assess", json={"facts": {"repairs": [repair]}}, headers=service.h("intake"))
    assert assert_problem(r, 422, "bad_facts")["errors"][0]["loc"] == ["repairs", 0, "returnd"]


def test_search_with_a_category_profile(service):
    """With ``profile`` the query is classified and each decision gains p(its category) / 61: the
    scores are the plain ones plus exactly that, with p as the classify route gives it."""
    c, h = service.client, service.h("intake")
    query = "страховая по автогражданке заплатила меньше, чем стоит ремонт машины"
    plain = c.post("/v1/decisions/search", json={"query": query, "k": 50}, headers=h).json()["hits"]
    lifted = c.post("/v1/decisions/search", json={"query": query, "k": 50, "profile": "finance"}, headers=h)
    assert lifted.status_code == 200, lifted.text
    top = c.post("/v1/appeals/classify", json={"text": query, "profile": "finance", "top": 5}, headers=h).json()["top"]
    prior = {t["category"]: t["probability"] for t in top}
    assert prior  # the finance profile knows the generated decisions' categories
    before = {x["decision_id"]: x["score"] for x in plain}
    for x in lifted.json()["hits"]:
        assert x["score"] == pytest.approx(before[x["decision_id"]] + prior.get(x["category"], 0.0) / 61, abs=2e-6)
    bad = c.post("/v1/decisions/search", json={"query": query, "profile": "nope"}, headers=h)
    assert_problem(bad, 422, "unknown_profile")
    empty = c.post("/v1/decisions/search", json={"query": " ", "profile": "finance"}, headers=h)
    assert_problem(empty, 422, "empty_query")


def test_reviewer_search_weighs_the_query_category(service, monkeypatch):
    """The reviewers' page searches with the category prior of the profile that knows the library's
    categories (finance here), as the API does with ``profile``: the same prior, the same hits, and
    the query's category shown. "нет" turns it off; an unknown profile is a message, not a crash."""
    import re

    from api.routes.ui import library_profile
    from api.security import KEY_COOKIE
    from claims.pipeline import query_category_prior

    c, h, state = service.client, service.h("intake"), service.state
    query = "страховая по автогражданке заплатила меньше, чем стоит ремонт машины"
    assert library_profile(state.profiles, sorted(state.index.store.distinct("category"))) == "finance"
    assert library_profile(state.profiles, ["no_such_category"]) == ""
    api = c.post("/v1/decisions/search", json={"query": query, "profile": "finance"}, headers=h).json()["hits"]
    priors = []
    search = state.search
    monkeypatch.setattr(state, "search", lambda *a, **kw: priors.append(kw.get("category_prior")) or search(*a, **kw))
    cookies = {KEY_COOKIE: service.keys["reviewer"]}

    def decision_ids(html: str) -> list[str]:
        return re.findall(r'<span class="muted">([^ <]+) ·', html)

    page = c.get("/", params={"q": query}, cookies=cookies)
    assert page.status_code == 200
    assert priors[-1] == query_category_prior(state.profiles["finance"], query) and priors[-1]
    assert 'value="finance" selected' in page.text and "категория запроса по профилю finance: osago" in page.text
    assert decision_ids(page.text) == [x["decision_id"] for x in api]
    off = c.get("/", params={"q": query, "profile": ""}, cookies=cookies)
    assert priors[-1] is None and "категория запроса" not in off.text and decision_ids(off.text)
    calls = len(priors)
    bad = c.get("/", params={"q": query, "profile": "nope"}, cookies=cookies)
    assert bad.status_code == 200 and "нет профиля категорий «nope»" in bad.text and len(priors) == calls


def test_decisions_search_and_crud(service):
    c, d = service.client, service.decisions[0]
    r = c.post(
        "/v1/decisions/search",
        json={"query": d["title"], "k": 3, "filters": {"category": d["category"]}},
        headers=service.h("intake"),
    )
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert hits and hits[0]["decision_id"] == d["id"] and "<mark>" in hits[0]["snippet"]
    assert all(h["category"] == d["category"] for h in hits)
    assert_problem(
        c.post("/v1/decisions/search", json={"query": "x", "k": 0}, headers=service.h("intake")), 422, "bad_k"
    )
    assert_problem(c.post("/v1/decisions/search", json={"query": ""}, headers=service.h("intake")), 422, "empty_query")

    new = {
        "id": "test-zebra",
        "title": "Решение о зебре",
        "text": "Оператор связи отказал заявителю в переносе номера зебра-полосатая без объяснения причин.",
        "category": "telecom_test",
        "date": "2025-05-01",
    }
    assert c.post("/v1/decisions", json=new, headers=service.h("reviewer")).status_code == 201
    assert_problem(c.post("/v1/decisions", json=new, headers=service.h("reviewer")), 409, "decision_exists")
    assert_problem(
        c.post("/v1/decisions", json={**new, "id": "bad", "date": "01.05.2025"}, headers=service.h("reviewer")),
        422,
        "bad_record",
    )
    huge = {**new, "id": "huge", "text": "Банк списал деньги. " * 20_000}  # 400,000 characters
    assert_problem(c.post("/v1/decisions", json=huge, headers=service.h("reviewer")), 422, "decision_too_long")
    only = {"query": new["text"], "k": 3, "filters": {"category": "telecom_test"}}
    found = c.post("/v1/decisions/search", json=only, headers=service.h("intake")).json()["hits"]
    assert [h["decision_id"] for h in found] == ["test-zebra"] and "<mark>" in found[0]["snippet"]
    changed = "Банк начислил пени по кредиту жирафу из зоопарка и отказал в перерасчёте."
    upd = c.put("/v1/decisions/test-zebra", json={**new, "text": changed}, headers=service.h("reviewer"))
    assert upd.status_code == 200 and upd.json()["changed"] is True
    assert c.get("/v1/decisions/test-zebra", headers=service.h("intake")).json()["text"] == changed
    assert_problem(c.put("/v1/decisions/nope", json=new, headers=service.h("reviewer")), 404, "decision_not_found")
    only["query"] = "жирафу зоопарка"
    top = c.post("/v1/decisions/search", json=only, headers=service.h("intake")).json()["hits"]
    assert "жираф" in top[0]["snippet"]  # the new text is what is indexed now
    assert c.delete("/v1/decisions/test-zebra", headers=service.h("admin")).status_code == 204
    after = c.post("/v1/decisions/search", json={"query": changed, "k": 50}, headers=service.h("intake"))
    assert all(h["decision_id"] != "test-zebra" for h in after.json()["hits"])
    assert_problem(c.post("/v1/decisions/search", json=only, headers=service.h("intake")), 422, "unknown_filter_value")
    assert_problem(c.delete("/v1/decisions/test-zebra", headers=service.h("admin")), 404, "decision_not_found")
    # the ombudsman numbers decisions with a slash: such an id is addressable, encoded or not
    numbered = {**new, "id": "У-24-10234/5010-007"}
    assert c.post("/v1/decisions", json=numbered, headers=service.h("reviewer")).status_code == 201
    for path in ("/v1/decisions/У-24-10234/5010-007", "/v1/decisions/%D0%A3-24-10234%2F5010-007"):
        got = c.get(path, headers=service.h("intake"))
        assert got.status_code == 200 and got.json()["id"] == numbered["id"], got.text
    upd = c.put("/v1/decisions/У-24-10234/5010-007", json={**new, "text": changed}, headers=service.h("reviewer"))
    assert upd.status_code == 200 and upd.json()["changed"] is True
    assert c.delete("/v1/decisions/У-24-10234%2F5010-007", headers=service.h("admin")).status_code == 204
    assert c.get("/v1/decisions/У-24-10234/5010-007", headers=service.h("intake")).status_code == 404


def test_the_query_adapter_follows_the_library_written_through_the_api(service):
    """The service started on an empty library and took the shipped adapter (trained on generated
    finance disputes); once decisions of other disputes written through the API outnumber them it
    drops it, and takes it back when they are deleted."""
    c, state = service.client, service.state
    assert state.index.adapter is not None  # the fixture's library: generated finance decisions
    n = state.index.store.count() + 1
    for i in range(n):
        city = {"id": f"city-{i}", "text": f"Жалоба на неубранный снег во дворе дома № {i}.", "category": "city"}
        assert c.post("/v1/decisions", json=city, headers=service.h("reviewer")).status_code == 201
    assert state.index.adapter is None
    hits = c.post("/v1/decisions/search", json={"query": "снег во дворе", "k": 3}, headers=service.h("intake"))
    assert hits.status_code == 200  # and the one-sentence decisions that say it come first (the dense cut)
    assert all(h["decision_id"].startswith("city-") for h in hits.json()["hits"])
    for i in range(n):
        assert c.delete(f"/v1/decisions/city-{i}", headers=service.h("admin")).status_code == 204
    assert state.index.adapter is not None


def test_the_service_follows_a_library_written_by_another_process(service):
    """`claims index add` beside the running service (here a second index on its folder, as the CLI
    opens it): the service's searches find what it wrote, its adapter choice follows, and while
    the other process is still writing a decision posted to the API is refused with 503, not lost."""
    from search.hybrid import DecisionIndex
    from search.sharing import FolderLock
    from search.types import DecisionRecord

    c, state = service.client, service.state
    folder = service.data_dir / "search"
    assert state.index.adapter is not None
    n = state.index.store.count() + 1
    other = DecisionIndex(folder, state.encoder)
    snow = "Жалоба на неубранный снег во дворе дома № {}."
    city = [DecisionRecord(f"cli-{i}", snow.format(i), category="city") for i in range(n)]
    other.add(city, progress=False)
    hits = c.post("/v1/decisions/search", json={"query": "снег во дворе", "k": 3}, headers=service.h("intake"))
    assert hits.status_code == 200 and all(h["decision_id"].startswith("cli-") for h in hits.json()["hits"])
    assert state.index.adapter is None  # the library is now mostly of other disputes
    new = {"id": "during-cli", "text": "Банк отказал в реструктуризации кредита.", "category": "credit"}
    before, state.index.lock_timeout = state.index.lock_timeout, 0.2
    try:
        with FolderLock(folder / "write.lock").exclusive():
            busy = c.post("/v1/decisions", json=new, headers=service.h("reviewer"))
            assert_problem(busy, 503, "index_busy")
            assert busy.headers["Retry-After"]
            still = c.post("/v1/decisions/search", json={"query": "снег"}, headers=service.h("intake"))
            assert still.status_code == 200  # searches go on meanwhile
    finally:
        state.index.lock_timeout = before
    assert c.get("/v1/decisions/during-cli", headers=service.h("intake")).status_code == 404
    assert c.post("/v1/decisions", json=new, headers=service.h("reviewer")).status_code == 201
    other.delete([f"cli-{i}" for i in range(n)])
    other.close()
    assert c.delete("/v1/decisions/during-cli", headers=service.h("admin")).status_code == 204
    c.post("/v1/decisions/search", json={"query": "снег"}, headers=service.h("intake"))
    assert state.index.adapter is not None and state.index.store.count() == n - 1


def test_package_sync_report_duplicate_and_stored(service, small_dataset):
    c = service.client
    rec, files = _package_files(small_dataset, "ombudsman_appeal")
    r = c.post("/v1/packages", files=files, data={"process": rec["process"]}, headers=service.h("intake"))
    assert r.status_code == 200, r.text
    report = r.json()
    assert [d["doc_type"] for d in report["documents"]] == [d["doc_type"] for d in rec["documents"]]
    assert report["completeness"]["complete"] in (True, False)
    assert report["category"]["profile"] == "finance" and report["category"]["category"]
    assert len(report["similar_decisions"]) == 5 and report["package_id"].startswith("pkg_")
    assert report["duplicate"] is False and {"read_ms", "category_ms", "search_ms"} <= set(report["timings_ms"])
    again = c.post("/v1/packages", files=files, data={"process": rec["process"]}, headers=service.h("intake"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["package_id"] == report["package_id"]
    stored = c.get(f"/v1/packages/{report['package_id']}", headers=service.h("intake"))
    assert stored.status_code == 200 and stored.json()["documents"] == report["documents"]
    # The originals are kept by content hash.
    uploads = list((service.data_dir / "uploads").rglob("*"))
    assert sum(p.is_file() for p in uploads) >= len(files)
    assert_problem(c.get("/v1/packages/pkg_nope", headers=service.h("intake")), 404, "package_not_found")


def test_refund_package_has_a_verdict(service, small_dataset):
    rec, files = _package_files(small_dataset, "device_refund")
    r = service.client.post("/v1/packages", files=files, data={"process": rec["process"]}, headers=service.h("intake"))
    assert r.status_code == 200, r.text
    assert r.json()["refund"]["verdict"] in ("likely_valid", "likely_invalid", "needs_review")


def test_package_bad_input(service):
    c, h = service.client, service.h("intake")
    # A corrupt PDF beside a good text file: a per-file error, the rest is read.
    files = [
        ("files", ("broken.pdf", b"%PDF-1.7\n garbage", "application/pdf")),
        ("files", ("note.txt", "Заявление. Прошу вернуть деньги.".encode(), "text/plain")),
    ]
    r = c.post("/v1/packages", files=files, headers=h)
    assert r.status_code == 200, r.text
    assert [e["code"] for e in r.json()["errors"]] == ["corrupt_file"]
    assert len(r.json()["documents"]) == 1
    assert_problem(c.post("/v1/packages", files=files, data={"process": "nope"}, headers=h), 422, "unknown_process")
    assert_problem(c.post("/v1/packages", data={"process": "device_refund"}, headers=h), 422, "validation_error")
    many = [("files", (f"f{i}.txt", b"x", "text/plain")) for i in range(service.state.settings.max_files + 1)]
    assert_problem(c.post("/v1/packages", files=many, headers=h), 413, "too_many_files")


def test_request_size_limit(tmp_path, models_dir):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import make_settings

    app = create_app(make_settings(tmp_path, models_dir, max_request_bytes=1000))
    client = TestClient(app)  # no lifespan: the limit needs no models
    _, raw = app.state.service.keys.create("intake")
    files = [("files", ("big.txt", b"x" * 5000, "text/plain"))]
    assert_problem(client.post("/v1/packages", files=files, headers={"X-API-Key": raw}), 413, "payload_too_large")

    def chunks():  # no Content-Length: the limit applies while the body streams in
        yield b"{" + b" " * 3000
        yield b"}"

    r = client.post(
        "/v1/appeals/classify", content=chunks(), headers={"X-API-Key": raw, "content-type": "application/json"}
    )
    assert_problem(r, 413, "payload_too_large")


def test_rate_limit_per_key(tmp_path, models_dir):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import make_settings

    app = create_app(make_settings(tmp_path, models_dir, rate_limit_per_minute=3))
    client = TestClient(app)
    _, a = app.state.service.keys.create("intake")
    _, b = app.state.service.keys.create("intake")
    codes = [client.get("/v1/jobs/job_x", headers={"X-API-Key": a}).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    r = client.get("/v1/jobs/job_x", headers={"X-API-Key": a})
    assert int(assert_problem(r, 429, "rate_limited") and r.headers["retry-after"]) >= 1
    assert client.get("/v1/jobs/job_x", headers={"X-API-Key": b}).status_code == 404  # another key is not limited


def test_feedback(service, small_dataset):
    c = service.client
    rec, files = _package_files(small_dataset, "number_reregistration")
    pid = c.post("/v1/packages", files=files, data={"process": rec["process"]}, headers=service.h("intake")).json()[
        "package_id"
    ]
    label = service.state.profiles["telecom"].classes[0]
    r = c.post(
        "/v1/feedback", json={"kind": "category", "label": label, "package_id": pid}, headers=service.h("reviewer")
    )
    assert r.status_code == 201, r.text
    row = service.state.db.query("SELECT * FROM feedback WHERE id = ?", (r.json()["id"],))[0]
    assert row["profile"] == "telecom" and row["label"] == label and len(row["text"]) > 50
    r = c.post(
        "/v1/feedback",
        json={"kind": "refund_verdict", "label": "likely_valid", "package_id": pid},
        headers=service.h("reviewer"),
    )
    assert r.status_code == 201
    assert_problem(
        c.post(
            "/v1/feedback",
            json={"kind": "category", "label": "no-such", "package_id": pid},
            headers=service.h("reviewer"),
        ),
        422,
        "unknown_label",
    )
    assert_problem(
        c.post(
            "/v1/feedback",
            json={"kind": "doc_type", "label": "other", "package_id": "pkg_nope"},
            headers=service.h("reviewer"),
        ),
        404,
        "package_not_found",
    )
    assert_problem(
        c.post(
            "/v1/feedback",
            json={"kind": "category", "label": label, "profile": "telecom"},
            headers=service.h("reviewer"),
        ),
        422,
        "no_text",
    )


def test_reviewer_page_corrects_a_document_type(service, small_dataset):
    """The package page offers each document's type for correction, the likely alternatives first;
    a correction is kept with the document's text for `claims train doctype --with-feedback`, and
    an unknown type or document is refused with nothing saved."""
    from fastapi.testclient import TestClient

    from api.security import KEY_COOKIE
    from ingest.types import DOC_TYPES

    rec, files = _package_files(small_dataset, "number_reregistration")
    report = service.client.post(
        "/v1/packages", files=files, data={"process": rec["process"]}, headers=service.h("intake")
    ).json()
    pid, doc = report["package_id"], report["documents"][0]
    ui = TestClient(service.app, cookies={KEY_COOKIE: service.keys["reviewer"]})
    page = ui.get(f"/ui/packages/{pid}").text
    assert f'id="doctype-label-{doc["id"]}"' in page
    options = page.split(f'id="doctype-label-{doc["id"]}"')[1].split("</select>")[0]
    listed = [doc["doc_type"], *(a["doc_type"] for a in doc["doc_type_alternatives"])]
    values = [part.split('"')[0] for part in options.split('option value="')[1:]]
    assert values[: len(listed)] == listed and sorted(values) == sorted(DOC_TYPES)
    label = next(t for t in values if t != doc["doc_type"])
    count = len(service.state.db.query("SELECT id FROM feedback"))
    form = {"package_id": pid, "kind": "doc_type", "predicted": doc["doc_type"]}
    for bad in ({"label": "no-such", "document_id": doc["id"]}, {"label": label, "document_id": "d99"}):
        assert ui.post("/ui/feedback", data={**form, **bad}, follow_redirects=False).status_code == 422
    assert len(service.state.db.query("SELECT id FROM feedback")) == count
    r = ui.post("/ui/feedback", data={**form, "label": label, "document_id": doc["id"]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("saved=doc_type")
    (row,) = service.state.db.query("SELECT * FROM feedback WHERE target = ?", (f"{pid}/{doc['id']}",))
    assert (row["kind"], row["label"], row["predicted"]) == ("doc_type", label, doc["doc_type"])
    assert row["text"] == service.state.jobs.package(pid)["texts"][doc["id"]]


def test_metrics_request_ids_and_audit(service):
    c = service.client
    r = c.post(
        "/v1/decisions/search",
        json={"query": "комиссия банка"},
        headers={**service.h("intake"), "X-Request-ID": "abc-123"},
    )
    assert r.status_code == 200 and r.headers["x-request-id"] == "abc-123"
    assert len(c.get("/healthz").headers["x-request-id"]) == 16
    text = c.get("/metrics").text
    assert 'claims_http_requests_total{method="POST",route="/v1/decisions/search",status="200"}' in text
    assert "claims_job_queue_depth 0.0" in text and "claims_pages_ocr_total" in text
    rows = service.state.db.query("SELECT * FROM audit WHERE request_id = 'abc-123'")
    assert [r["action"] for r in rows] == ["decisions.search"] and rows[0]["role"] == "intake"


def test_logs_are_json_with_personal_data_masked():
    import logging

    from api.logs import JsonFormatter

    record = logging.LogRecord(
        "api", logging.INFO, __file__, 1, "заявитель %s, паспорт %s, ИНН %s, тел. %s", None, None
    )
    record.args = ("Иванов Иван Иванович", "4512 123456", "7707083893", "+7 (912) 345-67-89")
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO"
    for secret in ("Иванов", "123456", "7707083893", "345-67"):
        assert secret not in line["msg"], line["msg"]
    assert "[ФИО]" in line["msg"] and line["msg"].count("*") > 10
