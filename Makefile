# Two commands for a fresh machine: `make run` (the chapter) and `make test` (the suite).
# Each creates .venv if missing, installs with constraints.txt (so nothing upgrades numpy past
# what MXNet 1.9.1 can import) and makes sure Fashion-MNIST is present.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= out/report
# The Kaggle house CSVs: use a shared copy beside the checkout when there is one (as CI does);
# otherwise ch3 looks in ~/.mxnet/datasets/kaggle_house and downloads them there.
ifneq ($(wildcard ../shared/data/kaggle_house/kaggle_house_pred_train.csv),)
export CH3_DATA_DIR ?= $(abspath ../shared/data)
endif

.PHONY: setup data run test quick bench bench-gemm clean

setup: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=23"
	$(PY) -m pip install -q -c constraints.txt -e ".[test]"
	touch $@

data: setup
	@$(PY) -m ch3.data.fashion_mnist --check >/dev/null 2>&1 || sh scripts/install_fashion_mnist.sh

run: data
	$(PY) -m ch3 report --out $(OUT)

quick: data
	$(PY) -m ch3 report --quick --out out/report-quick

test: data
	$(PY) -m pytest -q

bench: data
	$(PY) benchmarks/bench_ch3.py --json out/bench.json

bench-gemm: data   # ours under CH3_THREADS=gemm; the book's runs in fresh MXNet-default processes
	$(PY) benchmarks/bench_ch3.py --threads gemm --skip data epoch \
	    --models mlp_scratch mlp_gluon softmax_gluon --json out/bench_gemm.json

clean:
	rm -rf $(VENV) out *.egg-info
