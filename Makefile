# The two commands of the README:
#   make demo   answer a trail request on the sample data in data/
#   make test   run every Rust and Python test (what .ci/run calls)
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python

.PHONY: demo test rust-test python-test venv chromium bench bench-venv bench-dask bench-verdict

demo:
	cargo run --quiet --bin trailfence -- trail --input data/fixes.csv --subject S0003 \
	  --from 2024-10-26T19:00:00 --to 2024-10-27T07:00:00 --tz Europe/London --simplify-m 10

test: rust-test python-test

rust-test:
	cargo test --all-targets --features internals
	cargo test --doc --features internals
	cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
	cargo clippy --all-targets --features internals -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet

$(VPY):
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(VPY) -m pip --version >/dev/null

venv: $(VPY)
	$(VPY) -c "import maturin, pytest, numpy, pandas, pyarrow, shapely, h3, mypy, duckdb, dask, distributed; import importlib.metadata as m; m.version('pandas-stubs'); import jsonschema" 2>/dev/null || \
	  $(VPY) -m pip install --quiet "maturin>=1.16,<2" pytest "numpy>=1.26" "pandas>=2.2" pyarrow shapely "h3>=4" mypy pandas-stubs duckdb "dask>=2024.8" "distributed>=2024.8" "jsonschema>=4.18" pillow pypdf

# The report's browser tests need Debian's chromium (they skip, saying so, where it cannot be installed).
chromium:
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium could not be installed: the report's browser tests will skip"

python-test: venv chromium
	cd python && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin develop --quiet
	$(VPY) -m pytest -q python/tests
	$(VPY) -m mypy.stubtest trailfence --ignore-missing-stub

bench:
	cargo bench --bench benches

# Benchmarks need release builds: a separate venv with the release extension.
BVENV := .venv-bench
BPY := $(BVENV)/bin/python

bench-venv:
	test -x $(BPY) || $(PYTHON) -m venv --system-site-packages $(BVENV)
	$(BPY) -c "import maturin, numpy, pandas, pyarrow, dask, distributed" 2>/dev/null || \
	  $(BPY) -m pip install --quiet "maturin>=1.16,<2" "numpy>=1.26" "pandas>=2.2" pyarrow "dask>=2024.8" "distributed>=2024.8"
	cargo build --release --bin trailfence
	rm -rf target/bench-wheels
	cd python && PATH=$(CURDIR)/$(BVENV)/bin:$$PATH maturin build --release --quiet -o $(CURDIR)/target/bench-wheels
	$(BPY) -m pip install --quiet --force-reinstall --no-deps target/bench-wheels/trailfence-*.whl

# One machine vs a 2-worker local Dask cluster, 1,000 subjects x 30 days.
bench-dask: bench-venv
	$(BPY) benches/dask/run.py --out benches/dask/RESULTS.md


# The EM verdict benchmark (issue 19): four seeds of 1,500 subject-days each,
# held out from the calibration fit (seeds 1, 2, 5, 6, 7); pooled and per-seed
# scores, operating curve and calibration plots in docs/verdict/. Accuracy, not
# speed: the debug extension is enough (about 5 minutes).
bench-verdict: venv
	$(VPY) -c "import matplotlib" 2>/dev/null || $(VPY) -m pip install --quiet matplotlib
	cd python && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin develop --quiet
	$(VPY) benches/verdict/verdict_bench.py --days 1500 --seeds 3,4,8,9 --out docs/verdict
