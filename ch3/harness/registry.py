"""One registry for the sections and the exercises: run_section('3.9', impl='gluon', ...) and
run_exercise('3.9.1', ...).

The registry imports the run modules (ch3.harness.runs.*) and the exercise modules
(ch3.harness.exercises.sec3_*); they never import it. A module that fails to import is an error
here, never a silent gap in `ch3 list` or the report.
"""
import difflib
import importlib
import inspect
import json
import math
import numbers
import time

from ch3.context import as_ctx_list, ctx_names
from ch3.data import fashion_mnist as fashion_mnist_data
from ch3.harness.settings import apply_quick, check_devices
from ch3.utils import set_seed

SECTION_MODULES = (
    'ch3.harness.runs.linear_regression',   # 3.1-3.3
    'ch3.harness.runs.softmax',             # 3.4, 3.6, 3.7
    'ch3.harness.runs.fashion_mnist',       # 3.5
    'ch3.harness.runs.activations',         # 3.8
    'ch3.harness.runs.mlp',                 # 3.9, 3.10
    'ch3.harness.runs.model_selection',     # 3.11
    'ch3.harness.runs.weight_decay',        # 3.12
    'ch3.harness.runs.dropout',             # 3.13
    'ch3.harness.runs.backprop',            # 3.14
    'ch3.harness.runs.initialization',      # 3.15
    'ch3.harness.runs.kaggle_house',        # 3.16
)

EXERCISE_MODULES = tuple('ch3.harness.exercises.sec3_%02d' % n
                         for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16))

RUN_OPTIONS = ('ctx', 'quick', 'out', 'verbose')   # what run_section passes besides hyperparameters

_LOADED = {}


def number_key(number):
    """'3.10' -> (3, 10), '3.9.1' -> (3, 9, 1): book order for section and exercise numbers."""
    return tuple(int(part) for part in str(number).split('.'))


def _load(modules, attribute):
    """{number: (entry, module name)} from the list `attribute` of every module, imported once."""
    if attribute not in _LOADED:
        entries = {}
        for name in modules:
            module = importlib.import_module(name)   # an ImportError here is a real error
            for entry in getattr(module, attribute):
                number = getattr(entry, 'number', None) or entry.id
                entries[number] = (entry, name)
        _LOADED[attribute] = entries
    return _LOADED[attribute]


def _get(entries, number, kind, hint):
    number = str(number).strip()
    if number not in entries:
        known = ', '.join(sorted(entries, key=number_key))
        close = difflib.get_close_matches(number, list(entries), n=1)
        guess = ' (did you mean %s?)' % close[0] if close else ''
        raise ValueError('unknown %s %r; known %ss: %s%s%s'
                         % (kind, number, kind, known, guess, hint))
    return entries[number][0]


def get_section(number):
    """The Section registered under `number` (e.g. '3.9'); ValueError lists the known ones."""
    return _get(_load(SECTION_MODULES, 'SECTIONS'), number, 'section', '')


def get_exercise(exercise_id):
    """The Exercise registered as `exercise_id` (e.g. '3.9.1'); ValueError lists the known ids."""
    return _get(_load(EXERCISE_MODULES, 'EXERCISES'), exercise_id, 'exercise',
                ' (see ch3 exercise list)')


def list_sections():
    """All sections in book order: [{'section', 'title', 'module', 'impls', 'default_impl'}]."""
    sections = _load(SECTION_MODULES, 'SECTIONS')
    return [{'section': number, 'title': spec.title, 'module': module,
             'impls': sorted(spec.impls), 'default_impl': spec.default_impl}
            for number, (spec, module) in sorted(sections.items(),
                                                 key=lambda item: number_key(item[0]))]


def list_exercises():
    """Every exercise in the notes' order: [{'exercise', 'section', 'question', 'module',
    'notes_answer': {'zh', 'en'}}]."""
    exercises = _load(EXERCISE_MODULES, 'EXERCISES')
    return [{'exercise': ex_id, 'section': ex.section, 'question': ex.question, 'module': module,
             'notes_answer': {'zh': ex.notes_zh, 'en': ex.notes_en}}
            for ex_id, (ex, module) in sorted(exercises.items(),
                                              key=lambda item: number_key(item[0]))]


def tunable(fn):
    """The hyperparameters a run function takes: its keyword parameters but the run options."""
    return [name for name, p in inspect.signature(fn).parameters.items()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name not in RUN_OPTIONS]


def check_hyperparameters(section, impl, fn, hyperparameters, option_name=None):
    """ValueError unless every given hyperparameter is one `fn` takes (before anything runs)."""
    accepted = tunable(fn)
    for name in hyperparameters:
        if name not in accepted:
            how = ', so %s does not apply' % option_name(name) if option_name else ''
            raise ValueError('section %s (%s) has no hyperparameter %s%s; it takes: %s'
                             % (section, impl, name, how, ', '.join(accepted) or 'none'))


# Hyperparameters that count something: an integer of at least this much (epochs, folds, batch
# sizes, sample counts, widths). `subset` may also be None (all examples).
COUNTS = {'num_epochs': 1, 'batch_size': 1, 'batch': 1, 'k': 2, 'subset': 1, 'n': 1,
          'n_train': 1, 'n_test': 1, 'num_examples': 1, 'num_inputs': 1, 'num_outputs': 1,
          'num_hiddens': 1, 'num_hiddens1': 1, 'num_hiddens2': 1, 'repeats': 1, 'fd_entries': 1,
          'max_degree': 0, 'num_workers': 0}
POSITIVE = ('lr', 'step')   # finite numbers > 0
NON_NEGATIVE = ('wd', 'lambd')


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def value_problem(name, value, default):
    """Why `value` cannot be the hyperparameter `name` (whose default is `default`), or None."""
    if name in COUNTS:
        if value is None and default is None:
            return None
        if name == 'num_hiddens' and isinstance(value, (list, tuple)) and value:   # widths
            return next(filter(None, (value_problem(name, v, default) for v in value)), None)
        if not _is_int(value):
            return 'must be an integer, got %r' % (value,)
        if value < COUNTS[name]:
            return 'must be >= %d, got %r' % (COUNTS[name], value)
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else 'must be True or False, got %r' % (value,)
    if _is_int(default) and not _is_int(value) and name not in POSITIVE + NON_NEGATIVE:
        return 'must be an integer, got %r' % (value,)
    if isinstance(default, numbers.Real) or name in POSITIVE + NON_NEGATIVE:
        bound = ' > 0' if name in POSITIVE else ' >= 0' if name in NON_NEGATIVE else ''
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                not math.isfinite(value) or (name in POSITIVE and value <= 0) or \
                (name in NON_NEGATIVE and value < 0):
            return 'must be a finite number%s, got %r' % (bound, value)
    return None


def check_values(section, impl, fn, hyperparameters, option_name=None):
    """ValueError unless each given hyperparameter has a value the section can run with (counts
    >= 1, integers where the default is one, finite learning rates), before anything runs."""
    parameters = inspect.signature(fn).parameters
    for name, value in hyperparameters.items():
        default = parameters[name].default if name in parameters else None
        problem = value_problem(name, value, default)
        if problem:
            option = option_name(name) if option_name else name
            raise ValueError('section %s (%s): %s %s'
                             % (section, impl, name if option == name else
                                '%s (%s)' % (name, option), problem))


def run_section(section, impl=None, ctx=None, seed=0, quick=False, out=None, verbose=True,
                **hyperparameters):
    """Run one section's scratch or Gluon version; return its JSON-serializable result dict."""
    spec = get_section(section)
    impl = impl or spec.default_impl
    if impl not in spec.impls:
        raise ValueError('section %s has no %r version; choose from: %s'
                         % (spec.number, impl, ', '.join(sorted(spec.impls))))
    fn = spec.impls[impl]
    check_hyperparameters(spec.number, impl, fn, hyperparameters)
    check_values(spec.number, impl, fn, hyperparameters)
    contexts = as_ctx_list(ctx)
    check_devices(spec.number, impl, contexts, spec.multi_device)
    if quick:
        hyperparameters = apply_quick(spec.number, hyperparameters, tunable(fn))
    seed = set_seed(seed)
    accepted = inspect.signature(fn).parameters
    options = {k: v for k, v in (('ctx', contexts), ('out', out), ('verbose', verbose))
               if k in accepted}
    mark = fashion_mnist_data.reads_so_far()
    result = fn(**options, **hyperparameters)
    ordered = {'section': spec.number, 'impl': impl, 'ctx': ctx_names(contexts), 'seed': seed,
               'quick': bool(quick)}
    ordered.update(result)
    copy = fashion_mnist_data.copies_read(mark)
    if copy:   # which Fashion-MNIST the run read (the copies differ: see ch3.data.fashion_mnist)
        ordered['fashion_mnist'] = copy
    json.dumps(ordered)   # fail here, not in a writer later, if a run returns non-JSON values
    return ordered


def run_exercise(exercise_id, ctx=None, seed=0, quick=False, out=None):
    """Run one exercise and judge the notes' answer; returns a JSON-serializable dict with
    exercise, title, section, ctx, seed, quick, notes_answer, settings, measured, claims, verdict,
    verdict_reason, answer, history, final, figures and seconds."""
    from ch3.harness.exercises.base import verdict_from_claims
    exercise = get_exercise(exercise_id)
    contexts = as_ctx_list(ctx)
    seed = set_seed(seed)
    start = time.perf_counter()
    mark = fashion_mnist_data.reads_so_far()
    outcome = exercise.fn(ctx=contexts, quick=bool(quick), out=out, seed=seed)
    verdict, reason = verdict_from_claims(outcome.claims)
    result = {
        'exercise': exercise.id, 'title': exercise.question, 'section': exercise.section,
        'ctx': ctx_names(contexts), 'seed': seed, 'quick': bool(quick),
        'notes_answer': {'zh': exercise.notes_zh, 'en': exercise.notes_en},
        'full_note': exercise.full_note, 'settings': outcome.settings,
        'measured': outcome.measured, 'claims': [c.as_dict() for c in outcome.claims],
        'verdict': verdict, 'verdict_reason': reason, 'answer': outcome.answer,
        'history': outcome.history, 'final': outcome.final,
        'figures': [f for f in outcome.figures if f],
        'seconds': time.perf_counter() - start,
    }
    copy = fashion_mnist_data.copies_read(mark)
    if copy:
        result['fashion_mnist'] = copy
    # as it will be read back: seed-keyed dicts get string keys, tuples become lists
    return json.loads(json.dumps(result))
