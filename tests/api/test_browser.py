"""The reviewer page in a real headless browser (Debian's chromium through Playwright): log in with
a key, search, upload a generated package, see the verdict, send a correction."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make setup installs it)")


@pytest.fixture(scope="module")
def server(service):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The same app object (models already loaded) behind a real HTTP server.
    config = uvicorn.Config(service.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def test_reviewer_page(server, service, small_dataset):
    from playwright.sync_api import sync_playwright

    with open(small_dataset / "packages.jsonl", encoding="utf-8") as fh:
        rec = next(r for r in map(json.loads, fh) if r["process"] == "device_refund" and r["defect"] is None)
    paths = [str(small_dataset / "packages" / d["pdf"]) for d in rec["documents"]]
    decision = service.decisions[3]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(server + "/")
        page.fill("#api_key", "clm_wrong_key")
        page.click("#login")
        assert "Ключ не подошёл" in page.inner_text("#login-error")
        page.fill("#api_key", service.keys["reviewer"])
        page.click("#login")
        # Search: the decision's own title finds it, with highlighted words.
        page.fill("#q", decision["title"])
        page.click("#search")
        results = page.locator("#results")
        assert decision["id"] in results.inner_text()
        assert page.locator("#results mark").count() > 0
        # Upload a refund package and read the report.
        page.set_input_files("#files", paths)
        page.select_option("#process", "device_refund")
        page.click("#upload")
        page.wait_for_url("**/ui/packages/pkg_*", timeout=120_000)
        verdict = page.inner_text("#verdict")
        assert any(w in verdict for w in ("обоснованно", "проверка"))
        assert "Комплектность" in page.inner_text("#completeness")
        assert page.locator("#documents tr").count() == len(rec["documents"]) + 1
        # Correct the verdict.
        page.select_option("#verdict-label", "needs_review")
        page.click("#verdict-submit")
        assert "сохранено" in page.inner_text("#saved")
        # Correct the first document's type: any type but the one read.
        read_as = page.input_value("#doctype-label-d1")
        other = next(v for v in page.eval_on_selector_all("#doctype-label-d1 option", "os => os.map(o => o.value)")
                     if v != read_as)  # fmt: skip
        page.select_option("#doctype-label-d1", other)
        page.click("#doctype-submit-d1")
        assert "сохранено" in page.inner_text("#saved")
        browser.close()
    package_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    rows = service.state.db.query("SELECT * FROM feedback WHERE target = ? AND kind = 'refund_verdict'", (package_id,))
    assert [r["label"] for r in rows] == ["needs_review"]
    sql = "SELECT * FROM feedback WHERE target = ? AND kind = 'doc_type'"
    rows = service.state.db.query(sql, (f"{package_id}/d1",))
    assert [(r["label"], r["predicted"]) for r in rows] == [(other, read_as)] and rows[0]["text"]
