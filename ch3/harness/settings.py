"""Run settings that are not the book's: quick mode and the one-device rule, in one place.

Quick mode (`ch3 run --quick`, `ch3 report --quick`, CH3_QUICK=1, the tests) is a set of caps on
a section's hyperparameters: a number is capped (min of the user's value and the cap), anything
else is replaced unless the user set it. The book layer never sees `quick`.
"""
import os

# section -> hyperparameter caps for quick runs (seconds instead of minutes)
QUICK = {
    '3.1': {'repeats': 1},
    '3.5': {'subset': 2000},
    '3.6': {'subset': 2000, 'num_epochs': 2},
    '3.7': {'subset': 2000, 'num_epochs': 2},
    '3.9': {'subset': 6000, 'num_epochs': 2},
    '3.10': {'subset': 6000, 'num_epochs': 2},
    '3.11': {'num_epochs': 30, 'k': 3},
    '3.12': {'num_epochs': 10},
    '3.13': {'subset': 6000, 'num_epochs': 2},
    '3.14': {'batch_size': 32, 'fd_entries': 5},
    '3.15': {'subset': 3000, 'num_epochs': 1},
    '3.16': {'k': 2, 'num_epochs': 10},
}


def quick_from_environment(environ=None):
    """True when CH3_QUICK is set to a non-empty value other than 0 (notebooks, CI)."""
    value = (os.environ if environ is None else environ).get('CH3_QUICK', '')
    return value not in ('', '0')


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def apply_quick(section, hyperparameters, accepted):
    """The hyperparameters of a quick run of `section`: its caps applied to what the user gave;
    only names in `accepted` (what the version takes) are set."""
    chosen = dict(hyperparameters)
    for name, cap in QUICK.get(section, {}).items():
        if name not in accepted:
            continue
        given = chosen.get(name)
        if given is None:
            chosen[name] = cap
        elif _is_number(given) and _is_number(cap):
            chosen[name] = min(given, cap)
    return chosen


def check_devices(section, impl, contexts, multi_device_impls):
    """Raise ValueError unless `impl` may run on all of `contexts` (from-scratch parameters live on
    one device; the Gluon versions split each batch across several)."""
    if len(contexts) > 1 and impl not in multi_device_impls:
        others = ', '.join(sorted(multi_device_impls)) or 'none'
        raise ValueError('section %s (%s) keeps its parameters on one device, so it cannot run on '
                         '%s; pass one device (--ctx cpu) or a version that splits batches '
                         'across devices (%s)'
                         % (section, impl, ', '.join(str(c) for c in contexts), others))
