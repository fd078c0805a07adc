"""The HTML report in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium) loads the report of a failing run against a faulty
server and the test asserts what a person sees, and that the page logs no console errors.

Set OPTOUT_CONFORMANCE_SCREENSHOT=docs/report.png to refresh the screenshot kept in docs/.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optout_conformance.config import RawSettings, resolve_settings
from optout_conformance.core.results import RunResult
from optout_conformance.faults.catalog import FAULTS, build_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.report.baseline import apply_baseline, updated_baseline
from optout_conformance.report.html import render_html, write_html
from optout_conformance.report.json_report import report_document
from optout_conformance.runner.execute import RunLimits
from optout_conformance.runner.session import run as execute

FAULT = "convoso-duplicate-insert-accepted"
FAILING_CHECK = "convoso.errors.duplicate_insert_gets_6008"
PASSING_CHECK = "convoso.limits.limit_1000_is_accepted_and_filled"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def failing_run() -> RunResult:
    """A real run against a served faulty variant: its detecting checks fail, one check passes."""
    checks = (*FAULTS[FAULT].detected_by, PASSING_CHECK)
    with EmbeddedServer(build_app(FAULT, ReferenceConfig())) as server:
        raw = RawSettings(targets=(server.url("convoso"),), token="reference-token")
        return execute(resolve_settings(raw, api="convoso", environ={}), RunLimits(check_ids=checks))


def test_the_page_is_self_contained(failing_run: RunResult) -> None:
    page = render_html(failing_run)
    for outside in ("<script", "<link", "src=", "@import", "url("):
        assert outside not in page
    assert page.count("<style>") == 1


def test_failures_come_before_every_check_and_passed_checks_are_listed(failing_run: RunResult) -> None:
    page = render_html(failing_run)
    assert page.index('id="summary"') < page.index('id="failures"') < page.index('id="api-convoso"')
    assert page.index(f'id="failure-{FAILING_CHECK}"') < page.index(f'id="check-{PASSING_CHECK}"')
    assert f'id="check-{FAILING_CHECK}"' in page  # also in its family


def test_a_baseline_turns_failures_into_known_and_passes_into_stale(failing_run: RunResult) -> None:
    report: dict[str, Any] = json.loads(json.dumps(report_document(failing_run)))
    baseline = updated_baseline(report)
    page = render_html(report, baseline=apply_baseline(report, baseline))
    assert "Conformant (exit 0)" in page and ">known<" in page
    for check in report["apis"][0]["checks"]:
        check["status"] = "passed"
    stale = render_html(report, baseline=apply_baseline(report, baseline))
    assert "NOT conformant (exit 1)" in stale and "fixed — stale entry" in stale
    assert "remove its entry from the baseline" in stale


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("no chromium/chromedriver installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (.[test] extra)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1500"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def test_the_browser_sees_a_console_error_when_a_page_logs_one(browser: Any, tmp_path: Path) -> None:
    """The control for the next test: the console check does catch an error."""
    page = tmp_path / "noisy.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('boom')</script></body></html>",
                    encoding="utf-8")
    browser.get(page.as_uri())
    assert any("boom" in entry["message"] for entry in console_errors(browser))


def test_the_report_of_a_failing_run_shows_its_summary_and_failure_with_curl_in_chromium(
    browser: Any, failing_run: RunResult, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    page = write_html(failing_run, tmp_path / "report.html")
    browser.get(page.as_uri())
    assert browser.title == "optout-conformance report"
    verdict = browser.find_element(By.ID, "verdict")
    assert verdict.is_displayed() and verdict.text == "NOT conformant (exit 1)"

    row = browser.find_element(By.CSS_SELECTOR, "tr.api-row")
    assert row.is_displayed()
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    api = failing_run.apis[0]
    assert api.count("failed") >= 1
    assert cells[0] == "convoso"
    assert (cells[3], cells[4]) == (str(api.count("passed")), str(api.count("failed")))
    assert cells[-1].startswith("fails")

    failure = browser.find_element(By.ID, f"failure-{FAILING_CHECK}")
    assert failure.is_displayed() and failure.get_attribute("open") is not None
    curl = failure.find_element(By.CSS_SELECTOR, "pre.curl")
    assert curl.is_displayed()
    assert curl.text.startswith("curl ") and "/v1/sms-opt-out/insert" in curl.text
    assert "Received" in failure.text and "HTTP 200" in failure.text

    # A passing check is listed in its family, collapsed until the family is opened.
    passed = browser.find_element(By.ID, f"check-{PASSING_CHECK}")
    assert not passed.is_displayed()
    family = browser.find_element(By.XPATH, f"//details[@id='check-{PASSING_CHECK}']/parent::details/summary")
    family.click()
    assert passed.is_displayed() and "passed" in passed.text

    assert console_errors(browser) == []
    shot = tmp_path / "report.png"
    browser.find_element(By.TAG_NAME, "body").click()
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("OPTOUT_CONFORMANCE_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
