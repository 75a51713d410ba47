"""Generate docs/exercises.md from the exercises' results (never written by hand).

    ch3 exercise report [--out docs/exercises.md] [--quick] [--ctx cpu] [--seed 0]
                        [--only 3.2.2,3.9.1] [--render-only]

runs every exercise (or those in --only), writes their figures and a results.json into the
folder `exercises/` beside the markdown file, and renders one page: a summary table (notes'
answer, what was measured, verdict) and a section per exercise with the claims, the numbers,
the figure and the settings. A full run (no --quick) uses the book's settings and real data.
"""
import datetime
import json
import os
import platform
import re
import shutil
import sys
import time

import mxnet as mx

from ch3.context import parse_ctx
from ch3.harness.exercises.base import MIN_SEEDS, QUICK_SEEDS, SEEDS
from ch3.harness.registry import get_exercise, get_section, list_exercises, run_exercise
from ch3.harness.results import relocate, standard_json
from ch3.utils import atomic_write, staged_dir

VERDICT_MARK = {'confirmed': 'confirmed ✔', 'partly': 'partly ◐', 'wrong': 'wrong ✘',
                'inconclusive': 'inconclusive ?', 'unanswered': 'unanswered —'}
FIGURE_NAME = re.compile(r'^\d+_\d+_\d+_.+\.png$')


def _section_title(number):
    try:
        return get_section(number).title
    except ValueError:
        return ''


def cell(text):
    """Text safe inside a markdown table cell (pipes escaped, newlines as <br>)."""
    return str(text).replace('|', '\\|').replace('\n', '<br>')


def anchor(exercise_id):
    return 'ex-' + exercise_id.replace('.', '-')


def run_all(figures_dir, quick=False, ctx='cpu', seed=0, only=None, stream=None):
    """Run the exercises (all, or the ids in `only`) with figures in figures_dir; a failing
    exercise is recorded with its error and the others go on. Returns the list of results."""
    stream = stream or sys.stderr
    ids = [e['exercise'] for e in list_exercises()]
    if only:
        ids = [get_exercise(i).id for i in only]   # ValueError for an unknown id
    results = []
    for exercise_id in ids:
        start = time.perf_counter()
        try:
            result = run_exercise(exercise_id, ctx=ctx, seed=seed, quick=quick, out=figures_dir)
        except Exception as error:   # one broken exercise must not lose the others' results
            exercise = get_exercise(exercise_id)
            result = {'exercise': exercise_id, 'title': exercise.question,
                      'section': exercise.section, 'quick': bool(quick), 'verdict': 'error',
                      'error': '%s: %s' % (type(error).__name__, error),
                      'notes_answer': {'zh': exercise.notes_zh, 'en': exercise.notes_en},
                      'seconds': time.perf_counter() - start}
        result['ran'] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')
        print('%-7s %-12s %6.1f s' % (exercise_id, result['verdict'], result['seconds']),
              file=stream, flush=True)
        results.append(result)
    return results


def _figure_links(result, md_dir):
    links = []
    for path in result.get('figures') or []:
        rel = os.path.relpath(path, md_dir).replace(os.sep, '/')
        links.append('![%s](%s)' % (result['exercise'], rel))
    return links


MARK = {True: '✔', False: '✘'}


def deciding_claim(result):
    """The claim the verdict turns on: the first failed one (main first) for wrong / partly, the
    first undecided main one for inconclusive, the first main one for confirmed; None when the
    notes give no claim."""
    claims = result.get('claims') or []
    main = [c for c in claims if c['main']]
    verdict = result.get('verdict')
    if verdict in ('wrong', 'partly'):
        failed = [c for c in main if c['holds'] is False] + \
            [c for c in claims if c['holds'] is False]
        return failed[0] if failed else None
    if verdict == 'inconclusive':
        return next((c for c in main if c['holds'] is None), None)
    return main[0] if main else (claims[0] if claims else None)


_MEAN_OF = re.compile(r' \(mean of seeds [^)]*\)')


def deciding_number(result, limit=None):
    """The one number the verdict turns on: the comparison (difference ± se) in the deciding
    claim's evidence, else the start of that evidence; for an unanswered exercise the first
    sentence of the measured answer. Cut to `limit` characters when given."""
    if result.get('error'):
        text = 'the experiment failed: %s' % result['error']
    else:
        claim = deciding_claim(result)
        if claim is None:
            text = (result.get('answer') or '').split('. ')[0]
        else:
            parts = claim['evidence'].split('; ')
            # an undecided claim turns on its comparison inside 2 se (or the one missing)
            wanted = (('within 2 se', 'no comparison') if claim['holds'] is None
                      else (' ± ', 'no comparison'))
            part = next((p for p in parts if any(w in p for w in wanted)),
                        next((p for p in parts if ' ± ' in p), parts[0]))
            text = _MEAN_OF.sub('', part)
    text = text.strip().rstrip('.')
    if limit and len(text) > limit:
        text = text[:limit - 1].rstrip() + '…'
    return text


def _left_out(value, label=''):
    """'label seed s: reason' for every {'diverged': {seed: reason}} found in a result's
    measured numbers or finals (nested by setting labels)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == 'diverged' and isinstance(item, dict):
                for k, why in item.items():
                    if isinstance(why, str):
                        found.append('%sseed %s: %s' % (label, k, why))
                    else:
                        found += _left_out({'diverged': why}, '%s%s ' % (label, k))
            else:
                found += _left_out(item, ('%s ' % key) if isinstance(item, dict) else label)
    return found


def _ran(result):
    """'full run, 2026-12-07' / 'QUICK run, ...': how and when the result was measured."""
    return '%s run, %s' % ('QUICK' if result.get('quick') else 'full',
                           (result.get('ran') or '?')[:10])


def _short(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + '…'


def _details(result, md_dir, quick):
    """The folded part of an exercise: claims with their evidence, the measured answer,
    settings, seeds, left-out runs, data, the run and the figures."""
    lines = []
    if result.get('error'):
        lines.append('- the experiment failed: %s' % result['error'])
    for claim in result.get('claims') or []:
        lines.append('- %s %s%s: %s' % (MARK.get(claim['holds'], '?'), claim['claim'],
                                         '' if claim['main'] else ' (side claim)',
                                         claim['evidence']))
    if result.get('answer'):
        lines.append('- **What the experiment says:** %s' % result['answer'])
    settings = result.get('settings') or {}
    note = result.get('full_note') or ''
    text = ', '.join('%s %s' % (k, json.dumps(v, ensure_ascii=False))
                     for k, v in settings.items() if v is not None and k != 'seeds')
    if note and not result.get('quick'):
        text = note + ('; ' + text if text else '')
    if text:
        lines.append('- **Settings:** %s' % text)
    if settings.get('seeds'):
        lines.append('- **Seeds:** %s (a verdict needs %d on both sides of a comparison)'
                     % (', '.join(str(s) for s in settings['seeds']), MIN_SEEDS))
    left = _left_out(result.get('measured') or {}) or _left_out(result.get('final') or {})
    lines.append('- **Left-out runs:** %s' % ('; '.join(sorted(set(left))) if left else 'none'))
    if result.get('fashion_mnist'):
        lines.append('- **Data:** %s' % result['fashion_mnist'])
    lines.append('- **Run:** `ch3 exercise %s%s`, %s, %.1f s'
                 % (result['exercise'], ' --quick' if result.get('quick') else '', _ran(result),
                    result['seconds']))
    links = _figure_links(result, md_dir)
    if links:
        lines += [''] + links
    return ['<details><summary>Details: claims, settings, seeds, left-out runs</summary>', '']\
        + lines + ['', '</details>']


def _how(result):
    """'How the run departs from the book's settings. Seeds 0-4, none left out.' (visible under
    the verdict; '' when there is nothing to say)."""
    parts = []
    if result.get('full_note') and not result.get('quick'):
        parts.append('Full run: %s.' % result['full_note'])
    seeds = (result.get('settings') or {}).get('seeds')
    if seeds:
        left = _left_out(result.get('measured') or {}) or _left_out(result.get('final') or {})
        parts.append('Seeds %s, %s.' % (', '.join(str(s) for s in seeds),
                                        '%d run(s) left out as diverged' % len(set(left))
                                        if left else 'none left out'))
    return ' '.join(parts)


def render(results, md_dir, quick, ctx, seed, seconds):
    """The markdown page for the results (figure links relative to md_dir): a summary table of
    one short line per exercise, then per exercise its question, the notes' answer, the verdict
    with its deciding number, and the details folded (<details>)."""
    counts = {}
    for r in results:
        counts[r['verdict']] = counts.get(r['verdict'], 0) + 1
    mode = ('QUICK: subsets and few epochs, NOT the book\'s settings; regenerate without --quick '
            'for the real numbers' if quick else
            "every result from a full run (the book's settings on the real data; exceptions "
            'are listed per exercise), the date of each run in the table')
    command = 'ch3 exercise report%s' % (' --quick' if quick else '')
    copies = sorted({r['fashion_mnist'] for r in results if r.get('fashion_mnist')})
    lines = [
        '# Chapter 3 exercises: the study notes\' answers, checked by experiment',
        '',
        '<!-- generated by `%s`; do not edit by hand -->' % command,
        '',
        'Generated by `%s` on %s: %s. Device %s, seeds from %d, MXNet %s, '
        'Python %s, %.0f s of runs in all. Re-running some exercises '
        '(`ch3 exercise report --only 3.9.2,3.12.1`) replaces just their results.'
        % (command, datetime.date.today().isoformat(), mode, ', '.join(ctx), seed,
           mx.__version__, platform.python_version(), seconds),
        '',
        'Each exercise is numbered *section.index* in the order of the notes '
        '(`../shared/seed/chapter3-notes.md`; the book\'s questions the notes skip come after '
        'their section\'s answered ones) and runs with `ch3 exercise ID`. The notes\' '
        'answer is split into claims; each claim is decided by comparing measured numbers '
        '(rules in `ch3/harness/exercises/sec3_*.py`). A claim about a difference in accuracy or '
        'loss is judged over %d seeds (paired: the same seeds on both sides) and shown as the '
        'mean ± its standard error; it holds or fails only when the difference exceeds twice '
        'its standard error, otherwise it is undecided (?). With fewer than %d seeds on both '
        'sides there is **no comparison** and the claim stays undecided. A run is left out as '
        'diverged only when its loss becomes non-finite or its last training loss ends above '
        'its first epoch\'s; a loss that rises from a low minimum (overfitting, a noisy step) '
        'stays in. Verdict: **confirmed** when every claim holds, **wrong** when no main claim '
        'holds, **inconclusive** when a main claim is undecided and none fails, **partly** '
        'otherwise, **unanswered** when the notes give nothing to check. Side claims (details '
        'of the answer) can only turn confirmed into partly.'
        % (QUICK_SEEDS if quick else SEEDS, MIN_SEEDS),
        '',
    ]
    if copies:
        lines += ['Fashion-MNIST read by the runs that record it: %s.' % '; '.join(copies), '']
    lines += [
        'Verdicts: ' + ', '.join('%s %d' % (v, counts[v]) for v in
                                 ('confirmed', 'partly', 'wrong', 'inconclusive', 'unanswered',
                                  'error')
                                 if v in counts) + '.',
        '',
        '| Exercise | Question | Verdict | Deciding number | Run |',
        '| --- | --- | --- | --- | --- |',
    ]
    for r in results:
        lines.append('| [%s](#%s) | %s | **%s** | %s | %s |' % (
            r['exercise'], anchor(r['exercise']), cell(_short(r['title'], 60)),
            VERDICT_MARK.get(r['verdict'], r['verdict']), cell(deciding_number(r, 90)),
            _ran(r)))
    section = None
    for r in results:
        if r['section'] != section:
            section = r['section']
            lines += ['', ('## %s %s' % (section, _section_title(section))).rstrip()]
        claim = deciding_claim(r)
        verdict = '**Verdict: %s**' % VERDICT_MARK.get(r['verdict'], r['verdict'])
        if claim is not None:
            verdict += ' (%s %s): %s.' % (MARK.get(claim['holds'], '?'), claim['claim'],
                                           deciding_number(r))
        elif r.get('error'):
            verdict += ': %s.' % deciding_number(r)
        else:
            verdict += ' (the notes give nothing to check). Measured: %s.' % deciding_number(r)
        lines += ['', '<a id="%s"></a>' % anchor(r['exercise']), '',
                  '### %s %s' % (r['exercise'], r['title']), '',
                  '**Notes\' answer:** %s  ' % r['notes_answer']['zh'],
                  '*%s*' % r['notes_answer']['en'], '', verdict, '']
        how = _how(r)
        if how:
            lines += ['*%s*' % how, '']
        lines += _details(r, md_dir, quick)
    lines.append('')
    return '\n'.join(lines)


def _remove_stale_figures(figures_dir, results):
    """Delete exercise PNGs in figures_dir that this (complete) run did not write."""
    fresh = {os.path.basename(p) for r in results for p in r.get('figures') or []}
    if not os.path.isdir(figures_dir):
        return
    for name in os.listdir(figures_dir):
        if FIGURE_NAME.match(name) and name not in fresh:
            os.remove(os.path.join(figures_dir, name))


def _saved(md_dir):
    """The results.json beside the page as saved ({} when there is none)."""
    path = os.path.join(md_dir, 'exercises', 'results.json')
    if not os.path.isfile(path):
        return {}
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def _merged(saved, results, quick, md_dir):
    """The saved results with the new ones in their place (in the exercises' order), when the
    saved ones were run the same way (quick or full); else just the new results."""
    if not saved or bool(saved.get('quick')) != bool(quick):
        return results
    fresh = {r['exercise']: r for r in results}
    old = {r['exercise']: dict(r, figures=[os.path.join(md_dir, p)
                                           for p in r.get('figures') or []])
           for r in saved['results']}
    order = [e['exercise'] for e in list_exercises()]
    merged = dict(old, **fresh)
    return [merged[i] for i in order if i in merged] + \
        [r for i, r in merged.items() if i not in order]


def build(out='docs/exercises.md', quick=False, ctx='cpu', seed=0, only=None, stream=None):
    """Run the exercises (all, or those in `only`) and write `out` (markdown),
    `<dir>/exercises/*.png` and `<dir>/exercises/results.json`; with `only`, the new results
    replace theirs among those saved from runs of the same kind (full or quick), so changed
    exercises can be re-run alone. Returns the list of results run."""
    contexts = parse_ctx(ctx)
    md_dir = os.path.dirname(os.path.abspath(out))
    figures_dir = os.path.join(md_dir, 'exercises')
    saved = _saved(md_dir) if only else {}
    # the figures and results.json are made in a fresh folder that replaces exercises/ whole
    # when every run is done (with --only, the other exercises' figures are carried over)
    with staged_dir(figures_dir) as staging:
        if only and os.path.isdir(figures_dir):
            for name in os.listdir(figures_dir):
                path = os.path.join(figures_dir, name)
                if name != 'results.json' and not name.startswith('.') and os.path.isfile(path):
                    shutil.copy2(path, staging)
        fresh = run_all(staging, quick=quick, ctx=contexts, seed=seed, only=only,
                        stream=stream)
        fresh = [relocate(r, staging, figures_dir) for r in fresh]   # where files end up
        results = _merged(saved, fresh, quick, md_dir) if only else fresh
        seconds = sum(r['seconds'] for r in results)
        if not only:
            _remove_stale_figures(staging, results)
        names = [str(c) for c in contexts]
        with atomic_write(os.path.join(staging, 'results.json'), 'w',
                          encoding='utf-8') as handle:
            json.dump(standard_json(
                {'quick': bool(quick), 'ctx': names, 'seed': seed, 'seconds': seconds,
                 'results': [dict(r, figures=[os.path.relpath(p, md_dir).replace(os.sep, '/')
                                              for p in r.get('figures') or []])
                             for r in results]}),
                handle, indent=1, ensure_ascii=False, allow_nan=False)
            handle.write('\n')
    with atomic_write(out, 'w', encoding='utf-8') as handle:
        handle.write(render(results, md_dir, quick, names, seed, seconds))
    return fresh


def rerender(out='docs/exercises.md'):
    """Write `out` again from the results.json beside it, without running anything."""
    md_dir = os.path.dirname(os.path.abspath(out))
    saved = _saved(md_dir)
    if not saved:
        raise FileNotFoundError('no saved results beside %s (exercises/results.json); run '
                                '`ch3 exercise report` first' % out)
    results = [dict(r, figures=[os.path.join(md_dir, p) for p in r.get('figures') or []])
               for r in saved['results']]
    with atomic_write(out, 'w', encoding='utf-8') as handle:
        handle.write(render(results, md_dir, saved['quick'], saved['ctx'], saved['seed'],
                            saved['seconds']))
    return results
