"""The HTML report in a real headless Chromium: its numbers are the JSON report's, its filters work,
on the example and on a treatment center's 100,000 lines (71,772 findings).

CI installs Debian's chromium and chromium-driver (`.ci/run`); there, a missing browser fails the
test. Elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
EXAMPLE = [
    "examples/claims_with_errors.csv",
    "--facilities",
    "examples/facilities.csv",
    "--history",
    "examples/history.csv",
]

if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):
        pytest.fail("CI must install chromium and chromium-driver (see .ci/run)", pytrace=False)
    pytest.skip("no chromium / chromedriver on this machine (CI installs them)", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cgt_claimcheck", "check", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The example's HTML page and JSON report, written by the command line (in this process)."""
    from typer.testing import CliRunner

    from cgt_claimcheck.cli import app

    out = tmp_path_factory.mktemp("html")
    html, data = out / "report.html", out / "report.json"
    paths = [str(REPO / a) if a.startswith("examples/") else a for a in EXAMPLE]
    assert CliRunner().invoke(app, ["check", *paths, "--format", "html", "-o", str(html)]).exit_code == 1
    assert CliRunner().invoke(app, ["check", *paths, "--format", "json", "-o", str(data)]).exit_code == 1
    return html, json.loads(data.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tempfile.mkdtemp()}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _open(browser, page):
    browser.get(page.as_uri())
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"  # the script ran
    assert browser.get_log("browser") == []  # and logged no error


def _visible_rows(browser):
    rows = browser.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr")
    return [r for r in rows if r.is_displayed()]


def test_summary_cards_equal_the_json_summary(browser, reports):
    html, data = reports
    _open(browser, html)
    cards = {card.get_attribute("data-key"): card for card in browser.find_elements(By.CSS_SELECTOR, "#summary .card")}
    summary = data["summary"]
    expected = {key: summary[key] for key in ("rows_read", "rows_checked", "rows_rejected", "rows_out_of_scope")}
    expected |= {key: summary[key] for key in ("claims", "cgt_claims", "claims_denied")}
    expected |= summary["findings"]
    for key, value in expected.items():
        shown = cards[key].find_element(By.CLASS_NAME, "value").text
        assert int(shown.replace(",", "")) == value, key
    charges = cards["charges_denied"].find_element(By.CLASS_NAME, "value").text
    assert float(charges.lstrip("$").replace(",", "")) == summary["charges_denied"]
    assert len(_visible_rows(browser)) == len(data["findings"])  # nothing hidden until a filter is set


def test_filtering_by_rule_leaves_only_that_rules_rows(browser, reports):
    html, data = reports
    _open(browser, html)
    Select(browser.find_element(By.ID, "filter-rule")).select_by_value("CV006")
    rows = _visible_rows(browser)
    assert len(rows) == sum(1 for f in data["findings"] if f["rule"] == "CV006") == 2
    assert {r.get_attribute("data-rule") for r in rows} == {"CV006"}
    assert browser.find_element(By.ID, "shown-count").text == "2"
    Select(browser.find_element(By.ID, "filter-severity")).select_by_value("warning")
    assert {r.get_attribute("data-severity") for r in _visible_rows(browser)} <= {"warning"}
    browser.find_element(By.ID, "filter-reset").click()
    assert len(_visible_rows(browser)) == len(data["findings"])


def test_claim_button_and_claim_filter_and_sorting(browser, reports):
    html, data = reports
    _open(browser, html)
    browser.find_element(By.CSS_SELECTOR, 'button.show-claim[data-claim="E02"]').click()
    rows = _visible_rows(browser)
    assert {r.get_attribute("data-claim") for r in rows} == {"E02"}
    assert len(rows) == sum(1 for f in data["findings"] if f["claim_id"] == "E02")
    claim = browser.find_element(By.ID, "filter-claim")
    claim.clear()
    claim.send_keys("E1")  # typed: a part of the number is enough
    assert {r.get_attribute("data-claim") for r in _visible_rows(browser)} == {
        f["claim_id"] for f in data["findings"] if f["claim_id"] and "E1" in f["claim_id"]
    }
    browser.find_element(By.ID, "filter-reset").click()
    severity = browser.find_elements(By.CSS_SELECTOR, "#findings-table th")[3]
    severity.click()  # ascending by rank: errors first
    order = [r.get_attribute("data-severity") for r in _visible_rows(browser)]
    assert order == sorted(order, key=["error", "warning", "info"].index)
    severity.click()
    order = [r.get_attribute("data-severity") for r in _visible_rows(browser)]
    assert order == sorted(order, key=["info", "warning", "error"].index)


def test_hostile_values_stay_text(browser, tmp_path):
    """A value that is markup in the extract is shown as text: no element, no script ran."""
    header = "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc"
    # Closing the data set's <script> element first: the rest would be markup if it could.
    hostile = "</script><img src=x onerror=\"document.title='pwned'\"><!--"
    extract = tmp_path / "x.csv"
    quoted = '"' + hostile.replace('"', '""') + '"'
    # In the claim number (shown in cells and attributes) and as the NDC (the finding's value).
    extract.write_text(f"{header}\n{quoted},1,837P,wnc,M1,2025-03-01,J3392,1,{quoted}\n")
    page = tmp_path / "x.html"
    assert _run(str(extract), "--format", "html", "-o", str(page)).returncode == 1
    browser.get(page.as_uri())
    assert browser.title != "pwned"
    assert not browser.find_elements(By.CSS_SELECTOR, "#findings-table img")
    table = browser.find_element(By.ID, "findings-table").text
    assert table.count(hostile) >= 2  # the claim and the NDC value, as text


def test_page_loads_nothing_from_the_network(reports):
    html, _ = reports
    text = html.read_text(encoding="utf-8")
    assert "http://" not in text.split("<body>")[0] and "https://" not in text.split("<body>")[0]
    assert "<script src" not in text and "<link" not in text
    assert Path(html).stat().st_size < 200_000


# ---- at the size a treatment center's night reaches ----


@pytest.fixture(scope="module")
def large(tmp_path_factory, ref):
    """benchmarks/generate.py's every-line-CGT 100k extract, checked once: its HTML page and its findings."""
    from cgt_claimcheck.engine import CheckOptions, run_check
    from cgt_claimcheck.reporters import REPORTERS

    out = tmp_path_factory.mktemp("html-large")
    extract = out / "cgt_100k.csv"
    generate = [sys.executable, str(REPO / "benchmarks" / "generate.py"), "--lines", "100000"]
    subprocess.run([*generate, "--every-line-cgt", "--cgt-share", "1", "--out", str(extract)], check=True, timeout=120)
    report = run_check([str(extract)], ref, CheckOptions())
    page = out / "report.html"
    with page.open("w", encoding="utf-8") as stream:
        REPORTERS["html"](report, stream)
    findings = report.findings.table
    rules = findings.column("rule").cast("string").to_pylist()
    return page, rules, findings.column("severity").cast("string").to_pylist(), len(report.claim_headers())


def _range(browser, pager):
    return browser.find_element(By.CSS_SELECTOR, f"#{pager}-pager .range").text


def test_a_large_report_is_small_and_its_controls_work(browser, large):
    page, rules, severities, claims = large
    assert len(rules) > 50_000
    assert page.stat().st_size < 10_000_000  # 48.9 MB when every finding was a <tr>
    _open(browser, page)
    assert len(_visible_rows(browser)) == 100  # one page drawn, not 70,000 rows
    assert browser.find_element(By.ID, "shown-count").text == f"{len(rules):,}"
    assert _range(browser, "findings") == f"1-100 of {len(rules):,}"
    browser.find_element(By.CSS_SELECTOR, "#findings-pager .next").click()
    assert _range(browser, "findings") == f"101-200 of {len(rules):,}"

    rule = max(set(rules), key=rules.count)
    Select(browser.find_element(By.ID, "filter-rule")).select_by_value(rule)
    assert browser.find_element(By.ID, "shown-count").text == f"{rules.count(rule):,}"
    assert {r.get_attribute("data-rule") for r in _visible_rows(browser)} == {rule}
    Select(browser.find_element(By.ID, "filter-severity")).select_by_value("warning")
    both = sum(1 for r, s in zip(rules, severities, strict=True) if r == rule and s == "warning")
    assert browser.find_element(By.ID, "shown-count").text == f"{both:,}"
    browser.find_element(By.ID, "filter-reset").click()

    severity = browser.find_element(By.CSS_SELECTOR, '#findings-table th[data-key="severity"]')
    severity.click()
    severity.click()  # descending: info first
    drawn = "return Array.from(document.querySelectorAll('#findings-table tbody tr'), r => r.dataset.severity)"
    assert browser.execute_script(drawn) == ["info"] * 100  # (one call: a WebDriver call per row is slow)
    Select(browser.find_element(By.CSS_SELECTOR, "#findings-pager .size")).select_by_value("500")
    assert browser.execute_script(drawn) == ["info"] * min(500, severities.count("info"))


def test_the_claims_of_a_large_report_sort_by_billed_and_errors(browser, large):
    page, _, _, claims = large
    _open(browser, page)
    assert browser.find_element(By.ID, "claims-count").text == f"{claims:,}"
    assert _range(browser, "claims") == f"1-25 of {claims:,}"

    def column(index):
        cells = browser.find_elements(By.CSS_SELECTOR, f"#claims-table tbody td:nth-child({index})")
        return [float(c.text.lstrip("$").replace(",", "") or "nan") for c in cells]

    billed = browser.find_element(By.CSS_SELECTOR, '#claims-table th[data-key="billed"]')
    billed.click()
    billed.click()  # descending: the largest amounts first
    amounts = column(5)
    assert amounts == sorted(amounts, reverse=True) and len(amounts) == 25
    browser.find_element(By.CSS_SELECTOR, '#claims-table th[data-key="error"]').click()
    errors = column(6)
    assert errors == sorted(errors)
    browser.find_element(By.ID, "claims-errors").click()  # only claims with errors
    assert 0 not in column(6)
    first = browser.find_element(By.CSS_SELECTOR, "#claims-table tbody tr").get_attribute("data-claim")
    browser.find_element(By.CSS_SELECTOR, "#claims-table tbody button.show-claim").click()
    assert {r.get_attribute("data-claim") for r in _visible_rows(browser)} == {first}
