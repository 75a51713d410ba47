#!/usr/bin/env python3
"""3.15 Numerical stability and model initialization; the same as `ch3 run 3.15` (options: --help)."""
from ch3.harness.scripting import run_script

if __name__ == '__main__':
    raise SystemExit(run_script('3.15'))
