# Learning While Encrypted: every command the README mentions.
#   make lab       venv from the pins + course_lib, then JupyterLab on notebooks/ (a free port if 8888 is taken)
#   make site      build/site/: the static website of the chapters, from the committed outputs (nothing re-runs)
#   make test      lint, unit, notebooks (nbval), browser, dockerlint -- in that order, timed
#   make student   build/student/: the notebooks without solutions, for a classroom
#   make grade     build/grades/: run and grade a class's notebooks (SUBMISSIONS=path/; README: run it in Docker)
#   make execute   re-run notebooks in place (NB="notebooks/05_*.ipynb"), trimming their metadata
#   make docker    the workshop image;  make clean
# Targets call .venv/bin/... directly, so nothing needs to be activated.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8888
LAB_ARGS ?=  # extra JupyterLab options, e.g. LAB_ARGS=--no-browser
IMAGE ?= learning-while-encrypted
# Optional: an index to take the pinned torch from first, e.g. TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# (the CPU wheel; plain PyPI gives the much larger CUDA build on Linux). Empty = use pip's configuration.
TORCH_INDEX_URL ?=
TORCH_PIN := $(shell grep -Eo '^torch==[^ ]+' requirements.txt)
STAGES := lint unit notebooks browser dockerlint
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: venv lab site test $(STAGES) student grade docker clean execute

venv: $(VENV)/.installed $(LAB_OVERRIDES)

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(if $(TORCH_INDEX_URL),$(BIN)/pip install --index-url $(TORCH_INDEX_URL) $(TORCH_PIN))
	$(BIN)/pip install -r requirements.txt
	$(BIN)/pip install --no-deps --no-build-isolation -e .
	touch $@

# The course's JupyterLab defaults (jupyter/lab/settings/overrides.json: no "get notified about official Jupyter news?"
# pop-up on first start, no update check -- the versions are pinned), where Lab reads them: {sys.prefix}/share/jupyter/
# lab/settings/. A learner's own settings still win. The Dockerfile copies the same file.
$(LAB_OVERRIDES): jupyter/lab/settings/overrides.json $(VENV)/.installed
	mkdir -p $(@D) && cp $< $@

# tools/lab_args.py picks the port (PORT, or a free one if that is taken, and says so) and, as root, adds --allow-root
# (JupyterLab refuses root otherwise; it says so too). The token is never touched: Jupyter makes a random one.
lab: venv
	@args="$$($(BIN)/python tools/lab_args.py --port $(PORT) --host 127.0.0.1)" || exit 1; \
	set -x; exec $(BIN)/jupyter lab --ServerApp.root_dir=notebooks --ip=127.0.0.1 $$args $(LAB_ARGS)

# The static website: every chapter from its committed, executed notebook (Sphinx + myst-nb, execution off; widgets
# drawn from their saved state), contents page from README's chapter table. Open build/site/index.html, or serve it:
# python3 -m http.server -d build/site -b 127.0.0.1 8000
site: venv
	$(BIN)/python tools/build_site.py --out build/site

# Runs every stage in order, stops at the first failure, prints the time each stage took and, at the end, which stages
# ran and which were skipped. Only `browser` can skip itself (no Chromium and none installable, CI unset): it writes why
# into the file $LWE_SKIP_NOTE. With CI=true a missing browser fails instead.
test: venv
	@start=$$(date +%s); ran=""; skipped=""; \
	LWE_SKIP_NOTE="$$(mktemp)"; export LWE_SKIP_NOTE; trap 'rm -f "$$LWE_SKIP_NOTE"' EXIT; \
	for stage in $(STAGES); do \
	  t0=$$(date +%s); echo "=== make $$stage"; : > "$$LWE_SKIP_NOTE"; \
	  if ! $(MAKE) --no-print-directory $$stage; then \
	    echo "=== $$stage FAILED after $$(( $$(date +%s) - t0 ))s"; \
	    echo "=== stages run:$${ran:- none}; failed: $$stage (later stages not run)$${skipped:+; skipped:$$skipped}"; \
	    exit 1; \
	  fi; \
	  if [ -s "$$LWE_SKIP_NOTE" ]; then \
	    note="$$(cat "$$LWE_SKIP_NOTE")"; skipped="$$skipped $$stage ($$note)"; echo "=== $$stage SKIPPED: $$note"; \
	  else \
	    ran="$$ran $$stage"; echo "=== $$stage passed in $$(( $$(date +%s) - t0 ))s"; \
	  fi; \
	done; \
	echo "=== stages run:$${ran:- none}; skipped:$${skipped:- none}"; \
	if [ -n "$$skipped" ]; then echo "=== passed in $$(( $$(date +%s) - start ))s, but NOT every stage ran (see above)"; \
	else echo "=== all stages passed in $$(( $$(date +%s) - start ))s"; fi

lint: venv
	$(BIN)/ruff check course_lib tests benchmarks tools notebooks

unit: venv
	$(BIN)/pytest tests -m "not browser"

notebooks: venv
	$(BIN)/pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly notebooks/

# The Chromium that tools/browser_setup.py finds or, on Debian/Ubuntu as root or with passwordless sudo, installs
# (LWE_CHROMIUM=/path/to/chromium picks one). None: `make browser` fails; inside `make test` the stage is skipped, loudly
# (and fails with CI=true).
browser: venv
	@chromium="$$($(BIN)/python tools/browser_setup.py $${LWE_SKIP_NOTE:+--may-skip})" && rc=0 || rc=$$?; \
	if [ "$$rc" -eq 3 ]; then echo "$$chromium" > "$$LWE_SKIP_NOTE"; exit 0; fi; \
	[ "$$rc" -eq 0 ] || exit "$$rc"; \
	echo "LWE_CHROMIUM=$$chromium $(BIN)/pytest -m browser -rP tests/browser"; \
	LWE_CHROMIUM="$$chromium" $(BIN)/pytest -m browser -rP tests/browser

dockerlint: venv
	$(BIN)/hadolint Dockerfile

# Re-execute notebooks in place (after changing one): make execute NB="notebooks/03_fixed_point.ipynb"
NB ?= notebooks/[0-9][0-9]_*.ipynb
execute: venv
	$(BIN)/python tools/execute_notebooks.py $(NB)

student: venv
	$(BIN)/python tools/make_student.py notebooks build/student

# Grade a class: runs every learner notebook in SUBMISSIONS (one per learner, or one folder per learner) in a fresh
# kernel, TIMEOUT seconds per notebook, re-runs the course's own checks on the learner's functions, writes
# $(OUT)/grades.csv and grades.html. It RUNS THE LEARNERS' CODE: see README ("I teach a class") for the Docker way.
SUBMISSIONS ?=
OUT ?= build/grades
TIMEOUT ?= 300
JOBS ?= 1
grade: venv
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/ [OUT=build/grades] [TIMEOUT=300] [JOBS=1]"; exit 2; }
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" --out "$(OUT)" --timeout $(TIMEOUT) --jobs $(JOBS)

docker:
	docker build -t $(IMAGE) .

clean:
	rm -rf build .pytest_cache .ruff_cache .hypothesis *.egg-info
	find . -path ./.venv -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -print0 \
	  | xargs -0 rm -rf
