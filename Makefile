# The two commands: `make demo` and `make test`. Both build .venv from
# pyproject.toml on first use; nothing else needs to be installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_VERSION_CHECK := false

.PHONY: demo test compat bench clean postgres java chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python integration_tests/demo.py

# The tests start a throwaway PostgreSQL server: its binaries come from
# Debian's packages when the machine does not have them.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update && apt-get install -y --no-install-recommends postgresql)

# Spark runs in the dbt process on a local JVM: Java 17 from Debian's packages
# when the machine has none.
java:
	@command -v java >/dev/null 2>&1 || \
		(apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless)

# The PII map's test loads the page in a headless browser: Debian's Chromium
# and its WebDriver when the machine has none.
chromium:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || \
		(apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver)

# Two workers, every Spark test on one of them (scripts/tests/conftest.py).
test: $(STAMP) postgres java chromium
	$(BIN)/python -m pytest -n 2

# The integration project built end to end on DuckDB under the lowest and the
# highest dbt-core the extras allow, each in its own environment under .compat/
# (docs/compatibility.md).
compat:
	$(PYTHON) scripts/compat.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_hash.py
	$(BIN)/python benchmarks/bench_no_pii_test.py
	$(BIN)/python benchmarks/bench_lineage.py
	$(BIN)/python benchmarks/bench_classify.py

clean:
	rm -rf $(VENV) .compat integration_tests/target integration_tests/logs integration_tests/dbt_packages
