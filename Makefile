# genisp-mmdet: `make demo` and `make test` set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.genisp-installed
# torch 2.13.0: the CPU wheel on this kind of machine; mmcv 2.1.0 is built
# from source with its ops (about 20 minutes on 2 cores, cached by pip).
TORCH  ?= torch==2.13.0
MMCV   ?= mmcv==2.1.0
MMDET  ?= mmdet==3.3.0
MMENGINE ?= mmengine==0.10.7
# torch 2.13 needs setuptools>=77.0.3; mmcv 2.1.0's setup.py imports
# pkg_resources, which setuptools 81 removed.
SETUPTOOLS := "setuptools>=77.0.3,<81"
export PYTHONUNBUFFERED := 1

.PHONY: all setup test demo reproduce reproduce-seeds reproduce-long pretrain benchmark clean-venv

all: test

setup: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/mminstall.txt requirements/tests.txt requirements/study.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip<26" $(SETUPTOOLS) wheel ninja
	$(BIN)/python -m pip install -q "$(TORCH)" $(SETUPTOOLS)
	$(BIN)/python -m pip install -q "$(MMENGINE)" $(SETUPTOOLS) -r requirements/runtime.txt -r requirements/tests.txt -r requirements/study.txt
	$(BIN)/python -c "import mmcv.ops" 2>/dev/null || \
	  MMCV_WITH_OPS=1 MAX_JOBS=$$(nproc) $(BIN)/python -m pip install --no-build-isolation "$(MMCV)"
	$(BIN)/python -m pip install -q "$(MMDET)"
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -c "import genisp_mmdet, mmcv.ops, mmdet; print('genisp_mmdet', genisp_mmdet.__version__, 'mmdet', mmdet.__version__)"
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest tests -q

demo: $(STAMP)
	$(BIN)/python tools/study.py demo

reproduce: $(STAMP)
	$(BIN)/python tools/study.py reproduce --jobs 2

# The same study with three training seeds per trained variant (same data
# and work directory: what reproduce finished is kept; resumable stage by
# stage, each invocation's minutes recorded). 22 trainings and 126 rows
# more than reproduce: about 2.5 hours more on a 2-core Intel Xeon (a pair
# of trainings about 10 minutes; 6 hours on an AMD EPYC); run it in pieces.
reproduce-seeds: $(STAMP)
	$(BIN)/python tools/study.py reproduce --seeds 0 1 2 --jobs 2

# GenISP alone with its config's 12-epoch schedule on the study's data
# (33 minutes on a 2-core Intel Xeon; not part of reproduce).
reproduce-long: $(STAMP)
	$(BIN)/python tools/study.py long

pretrain: $(STAMP)
	$(BIN)/python tools/study.py pretrain

benchmark: $(STAMP)
	$(BIN)/python tools/benchmark.py --json results/benchmark.json

clean-venv:
	rm -rf $(VENV)
