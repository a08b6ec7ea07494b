# Two commands do all set-up (README): `make demo` and `make test`. Both are idempotent: stamps under
# .venv/ record what is installed and are redone only when pyproject.toml or the package list changes.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
TEST_EXTRAS ?= dev,train,neural,speech,coqui,scale,ui,heic

.PHONY: demo test system clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip "setuptools<81" wheel

$(VENV)/.stamp-system: .ci/debian-packages.txt
	bash .ci/system-packages.sh
	@touch $@

$(VENV)/.stamp-base: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[speech]"
	$(BIN)/python -m studio.warm  # compile librosa's numba kernels once, before anything runs them side by side
	@touch $@

$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[$(TEST_EXTRAS)]"
	$(PIP) install --no-deps "face-alignment==1.5.0"  # optional landmark backend; its opencv-python dep would shadow mediapipe's cv2
	$(BIN)/python .ci/torchaudio_pure_python.py
	$(BIN)/python -m studio.warm
	@touch $@ $(VENV)/.stamp-base

system: $(BIN)/python $(VENV)/.stamp-system

demo: system $(VENV)/.stamp-base
	$(BIN)/emostudio demo --out out/demo

test: system $(VENV)/.stamp-test
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
