"""The HTML report at volume in headless Chromium: file size, time to open, time of each control.

    python benchmarks/html.py                    # the every-line-CGT 100k extract, 5 runs
    python benchmarks/html.py --runs 3 --page OLD.html   # measure a page written by another version

Targets (issue 26), on benchmarks/generate.py's every-line-CGT 100k extract (71,772 findings):
  the page file                                            < 10 MB
  open to interactive (navigation start to load event end, the script's first draw included)  < 3 s
  each filter, sort and page turn (event to the next layout, measured in the page)  < 300 ms
Needs chromium and chromedriver (Debian: apt install chromium chromium-driver) and selenium.
Each run opens the page in a fresh tab of one browser; medians over the runs are reported, and
for the controls the slowest one's median too.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import DATA, PY, ensure  # noqa: E402

# (what a clerk does, the script that does it). Each runs on a freshly opened page.
ACTIONS = (
    ("filter by the most frequent rule", "var s = $('filter-rule'); s.value = s.options[1].value; fire(s, 'change')"),
    ("filter by severity: warning", "var s = $('filter-severity'); s.value = 'warning'; fire(s, 'change')"),
    ("type a claim number", "var s = $('filter-claim'); s.value = '12'; fire(s, 'input')"),
    ("type a word of a message", "var s = $('filter-text'); s.value = 'units'; fire(s, 'input')"),
    ("sort findings by claim", "head('findings-table', 'claim').click()"),
    ("sort findings by value, descending", "var h = head('findings-table', 'value'); h.click(); h.click()"),
    ("sort findings by severity", "head('findings-table', 'severity').click()"),
    ("next page of findings", "document.querySelector('#findings-pager .next').click()"),
    (
        "500 findings a page",
        "var s = document.querySelector('#findings-pager .size'); s.value = '500'; fire(s, 'change')",
    ),
    ("sort claims by billed", "head('claims-table', 'billed').click()"),
    ("sort claims by errors", "head('claims-table', 'error').click()"),
    ("search claims", "var s = $('claims-search'); s.value = '77'; fire(s, 'input')"),
    ("show one claim's findings", "document.querySelector('button.show-claim').click()"),
    ("show all", "$('filter-reset').click()"),
)
PRELUDE = (
    "function $(id) { return document.getElementById(id); }"
    "function fire(el, type) { el.dispatchEvent(new Event(type)); }"
    "function head(table, key) { return document.querySelector('#' + table + ' th[data-key=\"' + key + '\"]'); }"
)


def browser():  # type: ignore[no-untyped-def]
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp()}")
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "chromedriver")
    return webdriver.Chrome(service=service, options=options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page", type=Path, help="measure this page instead of writing one with this checkout")
    args = parser.parse_args()
    page = args.page
    if page is None:
        page = DATA / "cgt_100k.html"
        extract = ensure("cgt_100k")
        started = time.perf_counter()
        subprocess.run([PY, "-m", "cgt_claimcheck", "check", str(extract), "-o", str(page)], check=False)
        print(f"check --format html of {extract.name}: {time.perf_counter() - started:.1f} s")
    size = page.stat().st_size
    driver = browser()
    driver.set_page_load_timeout(600)
    opened: list[float] = []
    timings: dict[str, list[float]] = {name: [] for name, _ in ACTIONS}
    try:
        for _ in range(args.runs):
            for name, action in [("", "")] + list(ACTIONS):
                driver.get("about:blank")
                driver.get(page.resolve().as_uri())
                if not name:
                    timing = "var t = performance.timing; return t.loadEventEnd - t.navigationStart"
                    opened.append(driver.execute_script(timing) / 1000)
                    continue
                # A page without this control (an older version's) answers null: shown as n/a.
                timed = (
                    f"{PRELUDE} var t0 = performance.now(); try {{ {action}; }} catch (e) {{ return null; }}"
                    " document.body.offsetHeight; return performance.now() - t0"
                )
                took = driver.execute_script(timed)
                if took is not None:
                    timings[name].append(took / 1000)
    finally:
        driver.quit()
    print(f"\npage {page}: {size / 1e6:.1f} MB (target < 10 MB)")
    print(f"open to interactive: {statistics.median(opened):.2f} s median of {len(opened)} (target < 3 s)")
    print("\n| control | median ms | slowest ms |\n|---|---:|---:|")
    for name, values in timings.items():
        shown = f"{statistics.median(values) * 1000:.0f} | {max(values) * 1000:.0f}" if values else "n/a | n/a"
        print(f"| {name} | {shown} |")
    worst = max((statistics.median(v) for v in timings.values() if v), default=0.0)
    print(f"\nslowest control (median): {worst * 1000:.0f} ms (target < 300 ms)")


if __name__ == "__main__":
    main()
