# Two commands on a fresh machine: `make demo` and `make test`. Both are idempotent.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH_INDEX_URL ?= https://download.pytorch.org/whl/cpu

.PHONY: demo test install bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))" || { echo "Python 3.11 is needed; set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned, from PyTorch's CPU index: the default index serves a CUDA build of several
	# gigabytes. Where that index cannot be reached, pip's configured sources are used instead.
	$(BIN)/python -m pip install --quiet --retries 1 --timeout 20 --index-url $(TORCH_INDEX_URL) torch==2.13.0 \
	  || { echo "PyTorch's CPU index ($(TORCH_INDEX_URL)) could not be reached: installing torch==2.13.0 from pip's configured sources"; \
	       $(BIN)/python -m pip install --quiet torch==2.13.0; }
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/advocate demo

# One worker per core; a test file stays on one worker, so its module fixtures are built once. The slow
# end-to-end tests (marked `slow`) run where CI is set (.ci/run sets it) or with `make test SLOW=1`.
TEST_SELECTION := $(if $(or $(CI),$(SLOW)),,-m "not slow")
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile $(TEST_SELECTION)

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) data .pytest_cache
