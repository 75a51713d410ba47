"""The exercises of chapter 3 as experiments that check the study notes' answers.

Each exercise is numbered section.index in the order of the notes (/work/shared/seed/
chapter3-notes.md): 3.2.2 is the second exercise the notes answer under 3.2; the book's questions
the notes skip follow (3.5.4, 3.6.4, 3.8.2, 3.1.1, 3.14.1, 3.16.x). Its function runs the
experiment on the sections' own models, trainers and data (ch3.harness.runs.*,
ch3.book.training, ch3.data), training over several seeds (base.seed_list), and breaks the notes'
answer into claims that the measured numbers decide; the verdict
follows from the claims by one rule (ch3.harness.exercises.base.verdict_from_claims):
'confirmed' (every claim holds), 'partly', 'wrong' (no main claim holds), 'inconclusive' (a main
claim inside twice its standard error over the seeds, none failing), or 'unanswered' where the
notes give nothing to check (the measured answer stands instead).

    list_exercises()                                   -> [{'exercise', 'section', 'question', ...}]
    run_exercise('3.9.1', ctx=None, seed=0, quick=False, out=None) -> JSON-serializable dict

The registry (ch3.harness.registry) loads these modules; this layer imports the book layer,
which never imports it.
"""
from ch3.harness.registry import (EXERCISE_MODULES, get_exercise, list_exercises,  # noqa: F401
                                  run_exercise)

VERDICTS = ('confirmed', 'partly', 'wrong', 'inconclusive', 'unanswered')
