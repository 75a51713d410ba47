#!/usr/bin/env python3
"""3.6 Softmax regression from scratch; the same as `ch3 run 3.6` (options: --help)."""
from ch3.harness.scripting import run_script

if __name__ == '__main__':
    raise SystemExit(run_script('3.6'))
