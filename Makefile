# Cloud Sound — `make run` starts the local stack, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

STAGE ?= prod
ARCH ?= x86_64
PACKAGE_DIR ?= build/package
LAYER_ZIP := layers/ffmpeg/build/ffmpeg-layer.zip

.PHONY: run reset test lint install browser layer package bench fuzz screenshots clean

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -c "import imageio_ffmpeg, subprocess; subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-version'], check=True, capture_output=True)"
	touch $@

install: $(VENV)/.installed

run: install
	PORT=$(PORT) $(PY) -m devstack

# Delete the local stack's data (CLOUDSOUND_DATA_DIR, default local-data/): the next `make run` starts empty.
# Refuses while a stack is running on it, and refuses a directory that is not a Cloud Sound data directory.
reset: install
	$(PY) -m devstack --reset-only

# Lint, types, then every test, two at a time (pytest-xdist; each worker starts its own moto and stacks on free ports).
test: install browser lint
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# The README's screenshots (docs/*.png), from a real stack in Chromium: commit what it writes.
screenshots: install browser
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/e2e/test_web_list.py -k screenshots -q

# The browser tests drive Debian's Chromium (Playwright from PyPI, never a downloaded browser). Installed with apt
# when missing and possible; otherwise those tests skip, saying why.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "WARNING: no /usr/bin/chromium and no way to install it here: the browser tests will be SKIPPED"; \
		fi; \
	fi

layer: install
	$(PY) layers/ffmpeg/build.py --arch $(ARCH)

# chalice package: the SAM template (infra/template.json merged in; an ANY method on every route, so a method a
# route lacks reaches the app and is answered 405) + deployment.zip, and the layer zip beside them.
# The queue names are written as ${AWS::StackName}-… so the SQS event sources name the stack's own queues;
# a region is needed to package, credentials are not.
package: install layer
	rm -rf $(PACKAGE_DIR)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} CLOUDSOUND_QUEUE='$${AWS::StackName}-conversions' \
		CLOUDSOUND_DEAD_LETTER_QUEUE='$${AWS::StackName}-conversions-dlq' CLOUDSOUND_WEBHOOKS_QUEUE='$${AWS::StackName}-webhooks' \
		$(VENV)/bin/chalice package --stage $(STAGE) --merge-template infra/template.json $(PACKAGE_DIR)
	$(PY) infra/method_not_allowed.py $(PACKAGE_DIR)/sam.json
	cp $(LAYER_ZIP) $(PACKAGE_DIR)/ffmpeg-layer.zip
	@ls -l $(PACKAGE_DIR)

# A longer fuzzing run than the one in `make test`: every phase, 200 examples per operation, against a stack of its own.
fuzz: install
	FUZZ_EXAMPLES=200 FUZZ_PHASES=examples,coverage,fuzzing,stateful $(PY) -m pytest tests/e2e/test_fuzz.py -q

bench: install
	$(PY) -m bench | tee bench-results.md

clean:
	rm -rf $(VENV) .pytest_cache build layers/ffmpeg/build
