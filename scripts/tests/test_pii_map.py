"""`pii-guard map`: the page, loaded headless in Debian's Chromium (`make
chromium`), shows what the lineage says: PII columns, leaks with their path,
protected columns with their macro; its filters, search and grouping work on
a 700-model project; it makes no network request and logs no error."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from dbt_harness import INTEGRATION, DbtProject, require_ok

PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
CORPUS = INTEGRATION / "fixtures" / "lineage_corpus"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
IT = "model.pii_guard_integration_tests."
RAW = "source.pii_guard_integration_tests.raw."
LC = "model.lineage_corpus."
PEOPLE = "source.lineage_corpus.crm.people."


def compiled(tmp_path_factory, project_dir: Path) -> Path:
    """`dbt compile` of a project on DuckDB (no seed, no build): its manifest."""
    project = DbtProject(tmp_path_factory.mktemp("map"), key=None, project_dir=project_dir)
    for step in (("deps",), ("compile",)):
        require_ok(project.dbt(*step), "dbt " + " ".join(step))
    return project.target_path / "manifest.json"


def draw_map(manifest: Path, project_dir: Path, output: Path) -> Path:
    result = subprocess.run([PII_GUARD, "map", "--project-dir", str(project_dir), "--manifest", str(manifest),
                             "--no-catalog", "--output", str(output)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return output


@pytest.fixture(scope="module")
def integration_map(tmp_path_factory) -> Path:
    manifest = compiled(tmp_path_factory, INTEGRATION)
    return draw_map(manifest, INTEGRATION, manifest.parent / "pii_map.html")


@pytest.fixture(scope="module")
def corpus_manifest(tmp_path_factory) -> Path:
    return compiled(tmp_path_factory, CORPUS)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through the system chromedriver (nothing downloaded),
    logging the console and every network event."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def open_page(driver, page: Path) -> float:
    """Load the page and wait for its script to have drawn it; the seconds it took."""
    driver.get_log("browser"), driver.get_log("performance")  # forget the previous page's
    started = time.monotonic()
    driver.get(page.as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    return time.monotonic() - started


def assert_no_errors_and_no_network(driver, page: Path) -> None:
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    requested = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.add(message["params"]["request"]["url"])
    assert requested <= {page.as_uri()}, requested
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0


def shown(driver) -> str:
    return driver.find_element(By.ID, "shown").text


def set_control(driver, control: str, value: str) -> None:
    Select(driver.find_element(By.ID, control)).select_by_value(value)


def search(driver, text: str) -> None:
    box = driver.find_element(By.ID, "search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE, text)  # as typed: input events
    WebDriverWait(driver, 5).until(lambda d: d.execute_script(
        "return document.getElementById('groups').dataset.query === arguments[0]", text.lower()))


def row(driver, model: str, column: str, origin: str):
    found = driver.execute_script(  # compared in the page: names may hold quotes and markup
        "var wanted = arguments; return Array.from(document.querySelectorAll('tr.flow')).filter(function (tr) {"
        " return tr.dataset.model === wanted[0] && tr.dataset.column === wanted[1]"
        " && tr.dataset.origin === wanted[2]; })", model, column, origin)
    assert len(found) == 1, f"{model}.{column} <- {origin}: {len(found)} rows"
    return found[0]


def cells(tr) -> list[str]:
    return [td.text for td in tr.find_elements(By.TAG_NAME, "td")]


def test_integration_map_shows_every_pii_column_and_its_protection(browser, integration_map):
    open_page(browser, integration_map)
    # 18 source columns (_sources.yml), 4 of customer_contacts (_marts.yml), 1 of all_columns_classified_broken.
    assert browser.find_element(By.ID, "pii-count").text == "23"
    groups = browser.find_elements(By.CSS_SELECTOR, "details.group")
    assert len(groups) == 23 and not any(g.get_attribute("open") for g in groups)
    assert browser.find_elements(By.CSS_SELECTOR, "tr.flow") == []  # collapsed: no row drawn yet
    assert browser.find_element(By.ID, "leak-count").text == "0"
    search(browser, "email_hash")
    tr = row(browser, IT + "stg_customers", "email_hash", RAW + "raw_customers.email")
    assert cells(tr)[1:5] == ["email_hash", "protected", RAW + "raw_customers.email",
                              f"protected by hash_pii at {IT}stg_customers.email_hash"]
    search(browser, "")
    set_control(browser, "group", "model")
    set_control(browser, "status", "pii")
    models = {g.get_attribute("data-key") for g in browser.find_elements(By.CSS_SELECTOR, "details.group")}
    assert IT + "stg_customers" not in models and IT + "customer_contacts" in models
    assert_no_errors_and_no_network(browser, integration_map)


def test_corpus_map_shows_leaks_with_their_path_and_filters_them(browser, corpus_manifest, tmp_path):
    page = open_page_of(browser, corpus_manifest, tmp_path)
    assert browser.find_element(By.ID, "pii-count").text == "9"  # _sources.yml: 7 of people, 1 each of two more
    everything = shown(browser)
    set_control(browser, "status", "leak")
    assert shown(browser) != everything
    statuses = {tr.get_attribute("data-status") for tr in expand_all(browser)}
    assert statuses == {"leak"}
    tr = row(browser, LC + "l_ephemeral", "email", PEOPLE + "email")
    assert cells(tr)[2] == "leak"
    assert cells(tr)[5] == (f"{PEOPLE}email → direct → {LC}stg_people.email → direct → {LC}eph_people.email "
                            f"→ direct → {LC}l_ephemeral.email")
    tr = row(browser, LC + "l_weak_md5", "h", PEOPLE + "email")
    assert cells(tr)[5].endswith(f"→ weak hash md5 → {LC}l_weak_md5.h")
    set_control(browser, "status", "unresolved")
    set_control(browser, "tier", "safe")
    expand_all(browser)
    tr = row(browser, LC + "u_over_unresolved", "email", LC + "u_unparseable.*")
    assert cells(tr)[4].startswith("sqlglot cannot analyse it")
    set_control(browser, "status", "protected")
    set_control(browser, "tier", "restricted")
    assert shown(browser).startswith("0 of ")
    set_control(browser, "tier", "all")
    set_control(browser, "status", "all")
    search(browser, "person_key")
    tr = row(browser, LC + "c_protected", "person_key", PEOPLE + "phone")
    assert cells(tr)[2:5] == ["protected", PEOPLE + "phone", f"protected by hash_pii at {LC}c_protected.person_key"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.flow")) == 1  # from phone (id is no PII)
    assert_no_errors_and_no_network(browser, page)


def open_page_of(driver, manifest: Path, folder: Path) -> Path:
    page = draw_map(manifest, CORPUS, folder / "pii_map.html")
    open_page(driver, page)
    return page


def expand_all(driver) -> list:
    driver.find_element(By.ID, "expand").click()
    return driver.find_elements(By.CSS_SELECTOR, "tr.flow")


MARKUP = "<img src=x onerror=\"document.title='owned'\">"


def big_manifest(corpus_manifest: Path, models: int, folder: Path) -> Path:
    """The corpus with `models` more models, copies of a leaking, a protecting,
    a counting and a restricted model in turn, one of them with a column named
    by markup."""
    manifest = json.loads(corpus_manifest.read_text())
    templates = [manifest["nodes"][LC + name] for name in ("l_direct", "c_protected", "c_counts", "r_contacts")]
    for i in range(models):
        node = copy.deepcopy(templates[i % len(templates)])
        name = f"gen_{i:03d}"
        node.update(unique_id=LC + name, name=name, alias=name, fqn=["lineage_corpus", "gen", name],
                    relation_name=f'"warehouse"."main"."{name}"', original_file_path=f"models/gen/{name}.sql")
        if i == 0:
            quoted = '"' + MARKUP.replace('"', '""') + '"'
            node["compiled_code"] = node["compiled_code"].replace("select id, email", f"select id, email as {quoted}")
        manifest["nodes"][node["unique_id"]] = node
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def total_flows(driver) -> int:
    return int(shown(driver).split(" of ")[1].split()[0])


def test_a_700_model_map_draws_quickly_and_stays_usable(browser, corpus_manifest, tmp_path):
    open_page_of(browser, corpus_manifest, tmp_path)
    corpus_flows = total_flows(browser)
    manifest = big_manifest(corpus_manifest, 700, tmp_path)
    page = draw_map(manifest, CORPUS, tmp_path / "pii_map.html")
    seconds = open_page(browser, page)
    assert seconds < 5, f"{seconds:.1f}s to draw"
    set_control(browser, "group", "model")
    groups = browser.find_elements(By.CSS_SELECTOR, "details.group")
    assert len(groups) > 700 and browser.find_elements(By.CSS_SELECTOR, "tr.flow") == []
    # 175 copies each of l_direct (1 leak), c_protected (9 protected), c_counts (3), r_contacts (2 PII).
    assert total_flows(browser) == corpus_flows + 175 * 15
    search(browser, "gen_342")  # 342 % 4 == 2: a copy of c_counts
    assert [cells(tr)[1:4] for tr in browser.find_elements(By.CSS_SELECTOR, "tr.flow")] == [
        ["n", "protected", PEOPLE + "email"], ["m", "protected", PEOPLE + "phone"],
        ["k", "protected", PEOPLE + "full_name"]]
    search(browser, "onerror")
    tr = row(browser, LC + "gen_000", MARKUP.lower(), PEOPLE + "email")
    assert cells(tr)[1] == MARKUP.lower() and cells(tr)[2] == "leak"
    assert browser.find_elements(By.TAG_NAME, "img") == [] and browser.title != "owned"
    assert_no_errors_and_no_network(browser, page)


@pytest.mark.parametrize("content, message", [
    ('{"nodes": {', "error: manifest.json is not valid JSON (line 1, column 12): {path}. Run `dbt compile`"),
    (None, "error: cannot write the report to {out}: the directory {missing} does not exist."),
])
def test_bad_input_is_one_error_line_and_no_page(tmp_path, content, message):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(content if content is not None else '{"nodes": {}}')
    missing = tmp_path / "missing"
    out = (missing if content is None else tmp_path) / "pii_map.html"
    result = subprocess.run([PII_GUARD, "map", "--manifest", str(manifest), "--output", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message.format(path=manifest, out=out, missing=missing)), result.stderr
    assert not out.exists()
