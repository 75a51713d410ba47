# Two commands for a fresh machine: `make run` (the chapter) and `make test` (the suite).
# Each creates .venv with $(PYTHON) (3.8-3.13) if missing, installs with constraints.txt (its
# markers pick numpy, pandas, matplotlib and IPython versions that have wheels for that Python) and
# makes sure Fashion-MNIST is present. docs/install.md explains the versions.
# `make test PYTHON=python3.13`; `make setup VENV=.venv-np2 CONSTRAINTS=constraints-numpy2.txt`.
PYTHON ?= python3
VENV ?= .venv
CONSTRAINTS ?= constraints.txt
PY := $(VENV)/bin/python
OUT ?= out/report
# The Kaggle house CSVs: use a shared copy beside the checkout when there is one (as CI does);
# otherwise ch3 looks in ~/.mxnet/datasets/kaggle_house and downloads them there.
ifneq ($(wildcard ../shared/data/kaggle_house/kaggle_house_pred_train.csv),)
export CH3_DATA_DIR ?= $(abspath ../shared/data)
endif

.PHONY: setup mxnet-libs data run test quick notebooks bench bench-gemm clean

setup: $(VENV)/.installed

# mxnet goes in with --no-deps: its metadata's numpy<2.0.0 would block numpy 2 (Python 3.13 has
# no numpy 1.x wheels); ch3 itself requires mxnet's real dependencies, requests and graphviz.
# pip then warns "mxnet 1.9.1 requires numpy<2.0.0" under numpy 2; ch3._numpy_compat covers it.
$(VENV)/.installed: setup.cfg setup.py pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=23"
	$(PY) -m pip install -q --no-deps mxnet==1.9.1
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e ".[test]"
	@$(PY) -c "import ctypes; [ctypes.CDLL(n) for n in ('libgomp.so.1', 'libquadmath.so.0')]" \
	    2>/dev/null || $(MAKE) --no-print-directory mxnet-libs
	touch $@

# libmxnet.so links libgomp.so.1 and libquadmath.so.0 from the system; minimal Debian/Ubuntu
# images lack both. As root on Debian/Ubuntu this installs them, as `data` installs Fashion-MNIST.
mxnet-libs:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing libgomp1 libquadmath0 (libraries MXNet links) with apt-get"; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgomp1 libquadmath0 >/dev/null; \
	else \
	  echo "MXNet needs libgomp.so.1 and libquadmath.so.0: sudo apt-get install libgomp1" \
	       "libquadmath0 (Debian/Ubuntu) or sudo dnf install libgomp libquadmath (Fedora)," \
	       "then rerun make" >&2; exit 1; \
	fi

data: setup
	@$(PY) -m ch3.data.fashion_mnist --check >/dev/null 2>&1 || sh scripts/install_fashion_mnist.sh

run: data
	$(PY) -m ch3 report --out $(OUT)

quick: data
	$(PY) -m ch3 report --quick --out out/report-quick

test: data
	$(PY) -m pytest -q

# Rewrite notebooks/*.ipynb from notebooks/chapter.py and run each at the book's settings in a
# fresh kernel, keeping the outputs (a few minutes on 2 cores).
notebooks: data
	$(PY) notebooks/generate.py --execute

bench: data
	$(PY) benchmarks/bench_ch3.py --json out/bench.json

bench-gemm: data   # ours under CH3_THREADS=gemm; the book's runs in fresh MXNet-default processes
	$(PY) benchmarks/bench_ch3.py --threads gemm --skip data epoch \
	    --models mlp_scratch mlp_gluon softmax_gluon --json out/bench_gemm.json

clean:
	rm -rf $(VENV) .venv-np2 out *.egg-info build
