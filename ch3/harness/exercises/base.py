"""What every exercise module shares: the Exercise record, claims and the verdict rule, a cache of
training runs, figure saving and number formatting.

An exercise function takes (ctx list, quick, out) and returns an Outcome: the settings it used,
the numbers it measured, the notes' answer broken into Claims (each decided by a comparison of
measured numbers, never by hand), per-run histories/finals and figure paths. The verdict follows
from the claims by one rule for all exercises (`verdict_from_claims`).
"""
import copy
import inspect
import json
import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List

from mxnet import gluon
from mxnet.gluon import loss as gloss

from ch3.context import as_ctx_list
from ch3.harness.compare import format_number as fmt, json_number  # noqa: F401 (the exercises' names)
from ch3.book.plotting import finish
from ch3.harness.training import evaluate_accuracy_on_devices, train_on_devices
from ch3.utils import set_seed

@dataclass(frozen=True)
class Exercise:
    """One exercise of the notes: id 'section.index' in the notes' order, the book's question,
    the notes' answer (Chinese quote + English gloss) and the function that runs it."""
    id: str
    question: str
    notes_zh: str
    notes_en: str
    fn: Callable
    full_note: str = ''   # how the full run departs from the book's settings (fewer epochs, ...)

    @property
    def section(self):
        return self.id.rsplit('.', 1)[0]


@dataclass
class Claim:
    """One statement of the notes' answer and whether the measurement bears it out.

    holds: True, False, or None when the evidence cannot decide (a difference inside its noise).
    main: the statement the answer stands on; a side claim only turns 'confirmed' into 'partly'.
    """
    text: str
    holds: object
    evidence: str
    main: bool = True

    def as_dict(self):
        return {'claim': self.text, 'main': self.main,
                'holds': None if self.holds is None else bool(self.holds),
                'evidence': self.evidence}


@dataclass
class Outcome:
    """What an exercise function returns (run_exercise adds id, notes, verdict, ctx, seed...)."""
    measured: Dict[str, object]
    claims: List[Claim]
    settings: Dict[str, object] = field(default_factory=dict)
    history: List[dict] = field(default_factory=list)
    final: Dict[str, object] = field(default_factory=dict)
    figures: List[str] = field(default_factory=list)
    answer: str = ''   # what the measurement says the answer is, one or two sentences


def verdict_from_claims(claims):
    """The one verdict rule. No claim -> 'unanswered'; a main claim the evidence cannot decide and
    no main claim that fails -> 'inconclusive'; every decided claim holds -> 'confirmed'; no main
    claim holds -> 'wrong'; otherwise 'partly'. Returns (verdict, reason)."""
    if not claims:
        return 'unanswered', 'the notes give no answer that can be checked'
    main = [c for c in claims if c.main]
    undecided = [c for c in main if c.holds is None]
    if undecided and not any(c.holds is False for c in main):
        return 'inconclusive', ('undecided (a difference within twice its standard error, or '
                                'fewer than %d seeds a side): ' % MIN_SEEDS
                                + '; '.join(c.text for c in undecided))
    decided = [c for c in claims if c.holds is not None]
    failed = [c for c in decided if not c.holds]
    if not failed:
        return 'confirmed', 'every claim of the notes holds'
    if not any(c.holds for c in main):
        return 'wrong', 'no main claim holds: ' + '; '.join(c.text for c in main)
    return 'partly', 'does not hold: ' + '; '.join(c.text for c in failed)


def paired_difference(values_a, values_b):
    """Mean and standard error of a - b over seeds (paired: the same seed on both sides), with
    both means; {'n', 'mean_a', 'mean_b', 'diff', 'se'}. Needs at least 2 seeds."""
    if len(values_a) != len(values_b) or len(values_a) < 2:
        raise ValueError('a seed comparison needs the same number (>= 2) of runs on both sides, '
                         'got %d and %d' % (len(values_a), len(values_b)))
    diffs = [a - b for a, b in zip(values_a, values_b)]
    n = len(diffs)
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    return {'n': n, 'mean_a': sum(values_a) / n, 'mean_b': sum(values_b) / n, 'diff': mean,
            'se': math.sqrt(var / n)}


def decide(comparison, direction):
    """Whether a claimed difference holds: True when diff = a - b has the claimed sign
    (direction +1: a > b, -1: a < b) and exceeds twice its standard error, False when it has the
    other sign beyond that, None (inconclusive) inside it."""
    diff, se = comparison['diff'], comparison['se']
    if abs(diff) <= 2 * se:
        return None
    return (diff > 0) == (direction > 0)


def decide_same(comparison, tolerance):
    """Whether two settings give the same result: True when |diff| + 2 se <= tolerance, False
    when |diff| - 2 se > tolerance, None in between."""
    diff, se = abs(comparison['diff']), comparison['se']
    if diff + 2 * se <= tolerance:
        return True
    if diff - 2 * se > tolerance:
        return False
    return None


def describe_comparison(comparison, name_a, name_b, digits=4):
    """'a 0.8512 vs b 0.8431 (mean of 5 seeds), a - b = +0.0081 ± 0.0020 (1 se)'."""
    return ('%s %.*f vs %s %.*f (mean of %d seeds), difference %+.*f ± %.*f (1 se)'
            % (name_a, digits, comparison['mean_a'], name_b, digits, comparison['mean_b'],
               comparison['n'], digits, comparison['diff'], digits, comparison['se']))


# How many seeds a comparison of training runs uses: full runs 5, quick runs 3; a comparison
# with fewer than MIN_SEEDS seeds on both sides decides nothing ("no comparison").
SEEDS = 5
QUICK_SEEDS = 3
MIN_SEEDS = 3


def seed_list(quick, seed=0):
    """The seeds of a comparison: seed, seed + 1, ... (QUICK_SEEDS of them when quick)."""
    return list(range(seed, seed + (QUICK_SEEDS if quick else SEEDS)))


def history_of(result):
    """The per-epoch history of a training result: a run dict's 'history' (none: []) or the list."""
    return result.get('history', []) if isinstance(result, dict) else result


def exploded(history):
    """Why a history counts as diverged, or None: a non-finite loss, or a last training loss
    above the first epoch's (the run ended worse than it started). A loss that rises from a low
    minimum and comes back down, or ends between its minimum and its start, is noise or
    overfitting and stays in: at lr 0.5 the nets of 3.13 wobble from 0.07 to 0.15 and back."""
    for h in history:
        if not math.isfinite(h['loss']):
            return 'epoch %d: loss %s' % (h['epoch'], h['loss'])
    if len(history) > 1 and history[-1]['loss'] > history[0]['loss']:
        return 'ended above its start: training loss %s in epoch %d, %s in epoch %d' % (
            fmt(history[0]['loss'], 3), history[0]['epoch'], fmt(history[-1]['loss'], 3),
            history[-1]['epoch'])
    return None


def train_seeds(fn, seeds, **kwargs):
    """train(fn, seed, **kwargs) for each seed; {seed: result} for the runs that trained, and
    {seed: reason} for those that diverged (TrainingDiverged, or a history `exploded` names),
    which are never counted as results."""
    from ch3.book.training import TrainingDiverged
    runs, diverged = {}, {}
    for seed in seeds:
        try:
            result = train(fn, seed, **kwargs)
        except TrainingDiverged as error:
            diverged[seed] = str(error).split(';')[0]
            continue
        reason = exploded(history_of(result))
        if reason:
            diverged[seed] = reason
        else:
            runs[seed] = result
    return {'runs': runs, 'diverged': diverged}


def seed_values(trained, metric):
    """{seed: metric(result)} over the runs of train_seeds that did not diverge."""
    return {seed: float(metric(result)) for seed, result in trained['runs'].items()}


def compare_seeds(values_a, values_b):
    """paired_difference over the seeds present on both sides ({seed: value} each), with the
    seeds used and those left out; None in place of the numbers when fewer than MIN_SEEDS
    remain (no verdict stands on fewer)."""
    seeds = sorted(set(values_a) & set(values_b))
    left_out = sorted(set(values_a) ^ set(values_b))
    if len(seeds) < MIN_SEEDS:
        return {'seeds': seeds, 'left_out': left_out, 'n': len(seeds), 'diff': None, 'se': None}
    comparison = paired_difference([values_a[s] for s in seeds], [values_b[s] for s in seeds])
    return dict(comparison, seeds=seeds, left_out=left_out)


def seeds_text(seeds):
    """'seeds 0-4' for a run of consecutive seeds, else 'seeds 0, 2, 3'."""
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return 'seeds %d-%d' % (seeds[0], seeds[-1])
    return 'seeds ' + ', '.join(str(s) for s in seeds)


def evidence(comparison, name_a, name_b, digits=4, scale=1.0, diverged=''):
    """describe_comparison plus the seeds, what was left out (diverged) and why; numbers are
    multiplied by scale (100 for accuracy points)."""
    if comparison['diff'] is None:
        text = ('%s vs %s: no comparison, only %d seed(s) on both sides did not diverge '
                '(a verdict needs %d)' % (name_a, name_b, comparison['n'], MIN_SEEDS))
    else:
        scaled = dict(comparison, **{k: comparison[k] * scale
                                     for k in ('mean_a', 'mean_b', 'diff', 'se')})
        text = describe_comparison(scaled, name_a, name_b, digits)
        text = text.replace('(mean of %d seeds)' % comparison['n'],
                            '(mean of %s)' % seeds_text(comparison['seeds']))
        text += (', beyond 2 se' if abs(comparison['diff']) > 2 * comparison['se']
                 else ', within 2 se')
    if comparison['left_out']:
        text += '; left out (diverged): %s' % seeds_text(comparison['left_out'])
    return text + (' [%s]' % diverged if diverged else '')


def diverged_note(labelled):
    """'no dropout seed 3 (epoch 8: training loss 0.319 -> 4.66)' for every diverged run of
    {label: train_seeds result}; '' when none diverged."""
    return '; '.join('%s seed %d (%s)' % (label, seed, reason)
                     for label, trained in labelled.items()
                     for seed, reason in sorted(trained['diverged'].items()))


def decided(comparison, direction):
    """decide() that also answers None when the seeds left nothing to compare."""
    return None if comparison['diff'] is None else decide(comparison, direction)


def decided_same(comparison, tolerance):
    """decide_same() that also answers None when the seeds left nothing to compare."""
    return None if comparison['diff'] is None else decide_same(comparison, tolerance)


def all_hold(*decisions):
    """Several decisions as one: False if any is False, None if any is undecided, else True."""
    if any(d is False for d in decisions):
        return False
    if any(d is None for d in decisions):
        return None
    return True


def comparison_json(comparison):
    """A comparison for `measured` (JSON): the numbers, the seeds used and those left out."""
    return {k: comparison[k] for k in ('n', 'mean_a', 'mean_b', 'diff', 'se', 'seeds',
                                       'left_out') if k in comparison}


class ExerciseList(list):
    """A module's EXERCISES; `@EXERCISES.add(id, question, notes_zh, notes_en)` registers one."""

    def add(self, exercise_id, question, notes_zh, notes_en, full_note=''):
        def register(fn):
            self.append(Exercise(exercise_id, question, notes_zh, notes_en, fn, full_note))
            return fn
        return register


# One point of test accuracy: the tolerance of the claims that two settings give "the same" or
# "hardly better" results (decide_same: |difference| + 2 se within it).
MARGIN = 0.01


# ---------------------------------------------------------------------------------------------
# Training runs: seeded, quiet and cached within one process
# ---------------------------------------------------------------------------------------------

_RUNS = {}


def _key(fn, seed, kwargs):
    # every argument, defaults included, so that f(x=256) and f() (default 256) share a run
    bound = inspect.signature(fn).bind_partial(**kwargs)
    bound.apply_defaults()
    kwargs = dict(bound.arguments)

    def norm(value):
        if isinstance(value, (list, tuple)):
            return [norm(v) for v in value]
        if hasattr(value, 'device_type'):   # an mx.Context
            return str(value)
        return value
    return json.dumps([fn.__module__, fn.__qualname__, seed,
                       sorted((k, norm(v)) for k, v in kwargs.items())], default=repr)


def train(fn, seed=0, **kwargs):
    """Seed, then call a section's train function (quietly: verbose=False where it has one); the
    result of the same call with the same seed is reused within the process (exercises share
    baselines)."""
    if 'verbose' in inspect.signature(fn).parameters:
        kwargs.setdefault('verbose', False)
    key = _key(fn, seed, kwargs)
    if key not in _RUNS:
        set_seed(seed)
        _RUNS[key] = fn(**kwargs)
    return copy.deepcopy(_RUNS[key])


def clear_cache():
    """Forget the cached training runs (tests use it to time or re-run an exercise alone)."""
    _RUNS.clear()


def fashion_iters(batch_size, n_train=None, n_test=None, ctx=None):
    """Fashion-MNIST (train_iter, test_iter) with separate sizes for the two splits (the first
    n_train / n_test images; None = all), batches on the first device of ctx, through the
    sections' loader; unlike the book's, training drops its last partial batch (the exercises'
    recorded results were measured so), the test split keeps every image."""
    from ch3.harness.runs.data import fashion_mnist_iters
    everything = 10 ** 9   # more than either split holds: all of it
    return fashion_mnist_iters(batch_size, as_ctx_list(ctx)[:1], n_train or everything,
                               test_subset=n_test or everything, last_batch='discard')


def fit_gluon_epochs(net, train_iter, test_iter, num_epochs, batch_size, lr, wd=0.0, ctx=None):
    """Train a Gluon classifier with SoftmaxCrossEntropyLoss and SGD (weight decay wd) through
    ch3.book.training.train_ch3, one epoch at a time; returns its per-epoch history with
    'train_acc_eval' added: the training accuracy in prediction mode (dropout off, BatchNorm's
    running statistics), the one to compare with the test accuracy (train_ch3's train_acc is
    taken while training, dropout on)."""
    contexts = as_ctx_list(ctx)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr, 'wd': wd})
    history = []
    for epoch in range(1, num_epochs + 1):
        h = train_on_devices(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(), 1,
                             batch_size, trainer, contexts, verbose=False)[0]
        h.update(epoch=epoch,
                 train_acc_eval=evaluate_accuracy_on_devices(train_iter, net, contexts))
        history.append(h)
    return history


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

def save(fig, out, exercise_id, name):
    """Write fig as out/<3_2_2>_<name>.png when out is given; returns [path] or []."""
    if not out:
        return []
    return [finish(fig, out, '%s_%s.png' % (exercise_id.replace('.', '_'), name))]


def epoch_axis(ax, label='epoch'):
    """Label the x axis of a per-epoch plot and keep its ticks on whole epochs."""
    from matplotlib.ticker import MaxNLocator
    ax.set_xlabel(label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def first_ctx(contexts):
    """From-scratch models keep their parameters on one device: the first of ctx."""
    return [contexts[0]]


def by_epoch(history, epoch, key):
    """history[epoch - 1][key] (epochs count from 1)."""
    return history[epoch - 1][key]


def tagged(history, **tags):
    """Copy each per-epoch dict of history with extra keys (which run it came from)."""
    return [dict(h, **tags) for h in history]


def mean_of(values):
    """The mean of a {key: number} dict (nan when empty)."""
    return sum(values.values()) / len(values) if values else float('nan')


def seed_histories(runs, tag):
    """Every seed's per-epoch history of every setting in `runs` ({name: {'runs': {seed: run}}}),
    tagged with the seed and `tag`=name."""
    history = []
    for name, trained in runs.items():
        for s, r in trained['runs'].items():
            history += tagged(r['history'], seed=s, **{tag: name})
    return history


def seed_finals(runs):
    """{name: {seed: final}} of every setting in `runs` (seeds as JSON keys)."""
    return {str(name): {str(s): r['final'] for s, r in t['runs'].items()}
            for name, t in runs.items()}
