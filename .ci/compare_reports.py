"""CI: do two `ch3 report` folders (same seed, e.g. numpy 1.23.5 and numpy 2) agree within float32
tolerance? Compares every number in each run's metrics.json except timings; exits 1 naming the
first differences, 0 with a one-line summary."""
import json
import math
import os
import sys

RTOL, ATOL = 1e-4, 1e-5          # float32 training over a few epochs, summed in another order
SKIP = ('second', 'time', 'created', 'version', 'elapsed', 'duration', 'throughput', 'per_s',
        'speedup')


def run_files(folder):
    """{'3.6/scratch': path} for every run's metrics.json under folder/runs."""
    found = {}
    runs = os.path.join(folder, 'runs')
    for section in sorted(os.listdir(runs)):
        for impl in sorted(os.listdir(os.path.join(runs, section))):
            path = os.path.join(runs, section, impl, 'metrics.json')
            if os.path.isfile(path):
                found['%s/%s' % (section, impl)] = path
    return found


def numbers(record, path=''):
    """(path, value) for each int/float leaf of a JSON record, skipping timing keys."""
    if isinstance(record, dict):
        for key, value in record.items():
            if not any(word in str(key).lower() for word in SKIP):
                yield from numbers(value, '%s/%s' % (path, key))
    elif isinstance(record, list):
        for index, value in enumerate(record):
            yield from numbers(value, '%s[%d]' % (path, index))
    elif isinstance(record, (int, float)) and not isinstance(record, bool):
        yield path, record


def close(a, b):
    """Equal within RTOL/ATOL (NaN equals NaN, an infinity only itself)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= ATOL + RTOL * abs(b)


def compare(left, right):
    """Problems found (list of strings), the count of numbers compared, the largest difference."""
    runs_a, runs_b = run_files(left), run_files(right)
    problems = ['runs only in one report: %s' % sorted(set(runs_a) ^ set(runs_b))] \
        if set(runs_a) != set(runs_b) else []
    count, worst = 0, 0.0
    for run in sorted(set(runs_a) & set(runs_b)):
        with open(runs_a[run]) as fa, open(runs_b[run]) as fb:
            a, b = dict(numbers(json.load(fa))), dict(numbers(json.load(fb)))
        if set(a) != set(b):
            problems.append('%s: fields differ: %s' % (run, sorted(set(a) ^ set(b))[:5]))
        for key in sorted(set(a) & set(b)):
            count += 1
            if not close(a[key], b[key]):
                problems.append('%s%s: %r vs %r' % (run, key, a[key], b[key]))
            elif math.isfinite(a[key]) and math.isfinite(b[key]):
                worst = max(worst, abs(a[key] - b[key]))
    return problems, count, worst


def main(argv):
    """compare_reports.py REPORT_A REPORT_B"""
    if len(argv) != 3:
        sys.exit('usage: compare_reports.py REPORT_A REPORT_B (two `ch3 report --out` folders)')
    problems, count, worst = compare(argv[1], argv[2])
    if problems or count == 0:
        print('reports differ (%d numbers compared):' % count, *problems[:20], sep='\n  ')
        return 1
    print('reports agree: %d numbers within rtol %g, atol %g (largest difference %.3g)'
          % (count, RTOL, ATOL, worst))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
