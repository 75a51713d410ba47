"""The exercises of chapter 3 as experiments that check the study notes' answers.

Each exercise is numbered section.index in the order of the notes (/work/shared/seed/
chapter3-notes.md): 3.2.2 is the second exercise the notes answer under 3.2. Its function runs
the experiment on the sections' own models, trainers and data (ch3.sections.*, ch3.training,
ch3.data) and breaks the notes' answer into claims that the measured numbers decide; the verdict
follows from the claims by one rule (ch3.exercises.base.verdict_from_claims):
'confirmed' (every claim holds), 'partly', 'wrong' (no main claim holds), or 'unanswered' where
the notes give nothing to check.

    list_exercises()                                   -> [{'exercise', 'section', 'question', ...}]
    run_exercise('3.9.1', ctx=None, seed=0, quick=False, out=None) -> JSON-serializable dict

This layer sits beside the sections: it imports them, they never import it.
"""
import importlib
import json
import time

from ch3.context import as_ctx_list, ctx_names
from ch3.utils import set_seed

__all__ = ['EXERCISE_MODULES', 'VERDICTS', 'list_exercises', 'get_exercise', 'run_exercise']

VERDICTS = ('confirmed', 'partly', 'wrong', 'unanswered')

EXERCISE_MODULES = (
    'ch3.exercises.sec3_02',   # linear regression from scratch
    'ch3.exercises.sec3_03',   # linear regression with Gluon
    'ch3.exercises.sec3_04',   # softmax regression: maximum likelihood
    'ch3.exercises.sec3_05',   # Fashion-MNIST: reading speed, data sets, transforms
    'ch3.exercises.sec3_06',   # softmax from scratch: overflow, log domain
    'ch3.exercises.sec3_07',   # softmax with Gluon: hyperparameters
    'ch3.exercises.sec3_08',   # activation derivatives
    'ch3.exercises.sec3_09',   # MLP from scratch: width, depth
    'ch3.exercises.sec3_10',   # MLP with Gluon: three hidden layers, activations
    'ch3.exercises.sec3_11',   # polynomial fitting: overfitting, zero training error
    'ch3.exercises.sec3_12',   # weight decay: other remedies, Bayes, the strength sweep
    'ch3.exercises.sec3_13',   # dropout
    'ch3.exercises.sec3_15',   # initialization and symmetry
)

_EXERCISES = {}


def _number(exercise_id):
    return tuple(int(part) for part in exercise_id.split('.'))


def _load():
    if not _EXERCISES:
        for name in EXERCISE_MODULES:
            module = importlib.import_module(name)
            for exercise in module.EXERCISES:
                _EXERCISES[exercise.id] = (exercise, name)
    return _EXERCISES


def get_exercise(exercise_id):
    """The Exercise registered as `exercise_id` (e.g. '3.9.1'); ValueError lists the known ids."""
    exercises = _load()
    exercise_id = str(exercise_id).strip()
    if exercise_id not in exercises:
        raise ValueError('unknown exercise %r; known exercises: %s (see ch3 exercise list)'
                         % (exercise_id, ', '.join(sorted(exercises, key=_number))))
    return exercises[exercise_id][0]


def list_exercises():
    """Every exercise in the notes' order: [{'exercise', 'section', 'question', 'module',
    'notes_answer': {'zh', 'en'}}]."""
    exercises = _load()
    return [{'exercise': ex_id, 'section': exercises[ex_id][0].section,
             'question': exercises[ex_id][0].question, 'module': exercises[ex_id][1],
             'notes_answer': {'zh': exercises[ex_id][0].notes_zh,
                              'en': exercises[ex_id][0].notes_en}}
            for ex_id in sorted(exercises, key=_number)]


def run_exercise(exercise_id, ctx=None, seed=0, quick=False, out=None):
    """Run one exercise and judge the notes' answer; returns a JSON-serializable dict with
    exercise, title, section, ctx, seed, quick, notes_answer, settings, measured, claims, verdict,
    verdict_reason, answer, history, final, figures and seconds."""
    from ch3.exercises.base import verdict_from_claims   # (keeps `import ch3.cli` light)
    exercise = get_exercise(exercise_id)
    contexts = as_ctx_list(ctx)
    seed = set_seed(seed)
    start = time.perf_counter()
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
    json.dumps(result)   # fail here, not in a writer later, on a non-JSON value
    return result
