# The two commands that matter: `make run` and `make test`. Both work on a fresh clone with
# only Python 3.11+ and access to PyPI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test check typecheck lint unit integration postgres-test format clean openapi browser bench bench-writes

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

# Installs exactly what uv.lock pins (the project, editable, with its dev tools), compiled to bytecode:
# each test process imports the dependencies afresh, and compiling them is a third of collecting the suite
# where no .pyc gets written (PYTHONDONTWRITEBYTECODE).
install: $(BIN)/uv
	VIRTUAL_ENV=$(VENV) $(BIN)/uv sync --frozen --extra dev --inexact --active --quiet --compile-bytecode

run: install
	HOSPITAL_ENV=$${HOSPITAL_ENV:-development} $(BIN)/hospital migrate
	HOSPITAL_ENV=$${HOSPITAL_ENV:-development} $(BIN)/hospital serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests migrations bench examples
	$(BIN)/lint-imports

# The whole suite, as CI runs it (.ci/run): lint, contracts, the library example type-checked, every test.
test: lint typecheck
	$(BIN)/pytest

# The inner loop (109 s on 2 idle cores, measured as the README says): lint, contracts,
# unit tests and the integration tests that start no process (tests that do are marked `slow`; `make test`
# runs them), spread over every core (pytest-xdist), with at most 25 examples per hypothesis property and
# 15 steps per state machine run (profile `check`, tests/conftest.py), test modules' rewritten bytecode
# kept between runs even where PYTHONDONTWRITEBYTECODE is set, and no unused pytest plugins.
check: lint
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-check} PYTHONDONTWRITEBYTECODE= \
		$(BIN)/pytest -q -n auto --dist worksteal -m "not slow" -p no:faker -p no:schemathesis

# The library as a caller sees it (py.typed): examples/ under mypy --strict.
typecheck: install
	$(BIN)/mypy --strict examples

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

# The integration tests again on PostgreSQL (CI runs this; the server must be reachable).
POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
postgres-test: install
	HOSPITAL_TEST_DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest tests/integration

# Debian's Chromium, for the test that opens the docs page in a headless browser (needs root;
# does nothing when it is already installed). Without it that test is skipped, or fails on CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@chromium --version 2>/dev/null | head -n 1

# The service against the physical limit of its own stack (bench/run.py): wrk on loopback, SQLite and
# PostgreSQL (BENCH_POSTGRES_ADMIN, default the local server), about 5 minutes; writes docs/benchmarks.md.
# Installs wrk from Debian's packages when missing. Not part of `make test` or CI.
# It runs from .venv-bench: what a production install has (no test tools, which would load and
# weigh on the server's memory figure) plus the ASGI servers it compares, compiled to bytecode as
# `make install` compiles it: a worker that compiles its dependencies' sources as it starts (where no
# .pyc gets written, PYTHONDONTWRITEBYTECODE) keeps the compiler's heap, 2-10 MB more at its peak.
BENCH_VENV := .venv-bench
BENCH_SYNC := UV_PROJECT_ENVIRONMENT=$(BENCH_VENV) $(BIN)/uv sync --frozen --extra bench --quiet --compile-bytecode
bench: install
	$(BENCH_SYNC)
	$(BENCH_VENV)/bin/python -m bench.run --servers uvicorn,granian

# R4 alone (bench/writes.py), about a minute: for work on the booking path.
bench-writes: install
	$(BENCH_SYNC)
	$(BENCH_VENV)/bin/python -m bench.writes

openapi: install
	$(BIN)/hospital openapi --indent

format: install
	$(BIN)/ruff check --fix src tests migrations
	$(BIN)/ruff format src tests migrations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .mypy_cache
