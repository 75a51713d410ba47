"""Run settings that are not the book's: quick mode and the one-device rule, in one place.

Quick mode (`ch3 run --quick`, `ch3 report --quick`, the tests) is a set of small
values for a section's hyperparameters, used for those the user did not set: what the user typed
wins (`quick_overridden` names them so the command can say so). The book layer never sees `quick`.
"""

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


def apply_quick(section, hyperparameters, accepted):
    """The hyperparameters of a quick run of `section`: its quick values for those the user did
    not give; only names in `accepted` (what the version takes) are set."""
    chosen = dict(hyperparameters)
    for name, value in QUICK.get(section, {}).items():
        if name in accepted and chosen.get(name) is None:
            chosen[name] = value
    return chosen


def quick_overridden(section, hyperparameters, accepted):
    """[(name, given, quick value)] for the hyperparameters the user set that quick mode would
    have set otherwise (the user's value is used)."""
    return [(name, hyperparameters[name], value) for name, value in QUICK.get(section, {}).items()
            if name in accepted and hyperparameters.get(name) is not None
            and hyperparameters[name] != value]


def check_devices(section, impl, contexts, multi_device_impls):
    """Raise ValueError unless `impl` may run on all of `contexts` (from-scratch parameters live on
    one device; the Gluon versions split each batch across several)."""
    if len(contexts) > 1 and impl not in multi_device_impls:
        others = ', '.join(sorted(multi_device_impls)) or 'none'
        raise ValueError('section %s (%s) keeps its parameters on one device, so it cannot run on '
                         '%s; pass one device (--ctx cpu) or a version that splits batches '
                         'across devices (%s)'
                         % (section, impl, ', '.join(str(c) for c in contexts), others))
