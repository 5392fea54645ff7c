# Two commands for a fresh machine: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch goes in first, so that nothing later resolves the multi-GB CUDA build.
# This machine image serves torch 2.13.0 (CPU) from a local wheel; elsewhere use, for example,
#   make test TORCH=torch TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
# Versions known to pass together; `make CONSTRAINTS=` installs the newest instead.
CONSTRAINTS ?= constraints.txt
STAMP := $(VENV)/.oci-tei-installed
# Bytecode is compiled on first import and kept: pip installs with --no-compile, because
# compiling every module of torch, the oci SDK, ADS... up front costs a minute of CPU for
# modules never imported. An empty PYTHONDONTWRITEBYTECODE lets Python write the .pyc
# files (machines that set it to 1 would otherwise compile each import in every process).
PIP_INSTALL = -m pip install -q --no-compile
export PYTHONDONTWRITEBYTECODE :=
# The unmodified `oci` CLI (PyPI oci-cli) in a venv of its own: it pins an exact `oci`
# version, so it cannot share .venv. tests/emulator/test_seed_replay.py drives it.
OCICLI_VENV ?= .venv-ocicli
OCICLI_STAMP := $(OCICLI_VENV)/.oci-cli-installed
# The core alone (`pip install .`, no extras), for `make core-check`.
CORE_VENV ?= .venv-core
CORE_STAMP := $(CORE_VENV)/.oci-tei-core

.PHONY: install demo test test-prerequisites lint typecheck docs core-check oci-cli bench cassettes clean registry-tools

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP_INSTALL) --upgrade pip
	$(BIN)/python $(PIP_INSTALL) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"
	$(BIN)/python $(PIP_INSTALL) $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[dev,bench]" "$(TORCH)"
	@$(BIN)/python -c "import torch, sys; sys.exit('CUDA build of torch installed' if torch.version.cuda else 0)"
	touch $@

install: $(STAMP)

demo: install registry-tools
	HF_HUB_OFFLINE=1 $(BIN)/python -m examples.demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# The documentation site (mkdocs.yml, docs/): strict, so a page missing from the nav, a broken
# link or anchor, or a docstring griffe cannot read fails the build (not --quiet: it hides the
# warnings, and strict then passes). Output in out/ (ignored).
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d out/site

# Debian's docker-registry (CNCF Distribution) and skopeo: the real registries the image-copy
# tests start (tests/registry) and the independent client that checks the copies. Installed
# when missing (as root, with apt); otherwise a note, those tests skip and the demo declares
# the image pushed instead of copying it.
registry-tools:
	@if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      docker-registry skopeo) >/dev/null 2>&1 || echo "note: apt-get install docker-registry skopeo failed"; \
	  else \
	    echo "note: docker-registry/skopeo missing (install them as root: make registry-tools); the image-copy tests skip"; \
	  fi; \
	fi

# The checks before pytest run side by side (make -j4): the three venvs install while apt
# fetches the registries, and ruff, mypy and mkdocs run once the main venv is ready.
# pytest then runs on every core (pytest-xdist; `make test PYTEST_WORKERS=0` runs it in one
# process).
PYTEST_WORKERS ?= auto
test:
	$(MAKE) --no-print-directory -j4 -O test-prerequisites
	OCI_TEI_OCI_CLI=$(abspath $(OCICLI_VENV))/bin/oci HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

test-prerequisites: lint typecheck docs core-check registry-tools oci-cli

$(OCICLI_STAMP):
	test -x $(OCICLI_VENV)/bin/python || $(PYTHON) -m venv $(OCICLI_VENV)
	$(OCICLI_VENV)/bin/python $(PIP_INSTALL) --upgrade pip
	$(OCICLI_VENV)/bin/python $(PIP_INSTALL) oci-cli
	touch $@

oci-cli: $(OCICLI_STAMP)

# A fresh venv with only the core's dependencies, rebuilt when they change; oci-tei itself
# is reinstalled from this checkout every time. Then a signed embed call from it through the
# emulator's gateway, which the main venv serves (.ci/core_check.py).
$(CORE_STAMP): pyproject.toml $(CONSTRAINTS)
	rm -rf $(CORE_VENV)
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/python $(PIP_INSTALL) $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) .
	touch $@

core-check: install $(CORE_STAMP)
	$(CORE_VENV)/bin/python $(PIP_INSTALL) --no-deps --force-reinstall .
	HF_HUB_OFFLINE=1 $(BIN)/python .ci/core_check.py $(CORE_VENV)/bin/python

bench: install
	$(BIN)/python bench/serve_throughput.py

clean:
	rm -rf $(VENV) $(CORE_VENV) $(OCICLI_VENV) .mypy_cache .ruff_cache .pytest_cache out

# Record the signed-exchange cassettes again (against the emulator, or a real deployment
# when OCI_TEI_ENDPOINT is set).
cassettes: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest tests/client/test_cassettes.py --record-mode=rewrite
