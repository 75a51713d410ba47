"""`ch3 exercise`: list, run and report the chapter's exercises (registered in ch3.harness.cli).

    ch3 exercise list [--json]                   every exercise with its question
    ch3 exercise ID [options]                    run one, e.g. ch3 exercise 3.9.1 --quick
    ch3 exercise run ID [options]                the same
    ch3 exercise report [--quick] [--out FILE]   run all, regenerate docs/exercises.md

Options of a run: --ctx, --quick, --seed N, --out DIR (default out/exercises/ID), which gets
metrics.json (as `ch3 run` writes it) and the exercise's figures.
"""
import json
import os
import sys

EXERCISE_HELP = 'list or run the exercises (checks the notes\' answers), or regenerate ' \
                'docs/exercises.md'
ACTIONS = ('list', 'run', 'report')


def configure_exercise(parser):
    """Arguments of `ch3 exercise`."""
    from ch3.harness.argtypes import add_ctx_option, add_seed_option
    parser.add_argument('what', metavar='ID|list|run|report',
                        help="an exercise id such as 3.9.1 (see 'ch3 exercise list'), or one of "
                             'list, run ID, report')
    parser.add_argument('exercise_id', nargs='?', metavar='ID', help='with run: the exercise')
    add_ctx_option(parser)
    parser.add_argument('--quick', action='store_true',
                        help='subsets and few epochs: seconds per exercise (smoke runs, tests)')
    add_seed_option(parser)
    parser.add_argument('--out', metavar='PATH',
                        help='run: folder for metrics.json and figures (default: '
                             'out/exercises/ID); report: the markdown file (default: '
                             'docs/exercises.md, figures in docs/exercises/)')
    parser.add_argument('--only', metavar='IDS',
                        help='report: only these exercises, e.g. 3.2.2,3.9.1')
    parser.add_argument('--json', action='store_true', help='list: print JSON')
    parser.add_argument('--render-only', action='store_true',
                        help='report: rewrite the markdown from the saved results.json, run nothing')


def _list(args):
    from ch3.harness.exercises import list_exercises
    exercises = list_exercises()
    if args.json:
        json.dump(exercises, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write('\n')
        return 0
    width = max(len(e['exercise']) for e in exercises)
    for e in exercises:
        print('%s  %s' % (e['exercise'].ljust(width), e['question']))
    return 0


def run_and_write(exercise_id, ctx='cpu', seed=0, quick=False, out=None, stream=None):
    """Run one exercise, write out/metrics.json (figures beside it) and print the verdict;
    returns the result."""
    from ch3.harness.results import metrics_record, relocate, write_metrics, wrote_line
    from ch3.context import parse_ctx
    from ch3.harness.exercises import get_exercise, run_exercise
    stream = stream or sys.stdout
    exercise = get_exercise(exercise_id)   # an unknown id fails before anything runs
    parse_ctx(ctx)
    from ch3.utils import staged_dir
    out = out or os.path.join('out', 'exercises', exercise.id)
    with staged_dir(out) as staging:   # replaces `out` whole once the run succeeded
        result = run_exercise(exercise.id, ctx=ctx, seed=seed, quick=quick, out=staging)
        record = metrics_record(result, staging, first='exercise')
        write_metrics(relocate(record, staging, out), os.path.join(staging, 'metrics.json'))
    path = os.path.join(out, 'metrics.json')
    result = relocate(result, staging, out)
    print('%s %s' % (result['exercise'], result['title']), file=stream)
    print('notes: %s' % result['notes_answer']['zh'], file=stream)
    for claim in result['claims']:
        mark = {True: '✔', False: '✘'}.get(claim['holds'], '?')
        print('  %s %s%s: %s' % (mark, claim['claim'],
                                 '' if claim['main'] else ' (side)', claim['evidence']),
              file=stream)
    if result['answer']:
        print('  %s' % result['answer'], file=stream)
    print('verdict: %s (%s)' % (result['verdict'], result['verdict_reason']), file=stream)
    print(wrote_line(path, result), file=stream, flush=True)
    return result


def _report(args):
    from ch3.harness.exercises.report import build, rerender
    if args.render_only:
        out = args.out or os.path.join('docs', 'exercises.md')
        print('wrote %s from saved results (%d exercises)' % (out, len(rerender(out))))
        return 0
    only = [i.strip() for i in args.only.split(',') if i.strip()] if args.only else None
    out = args.out or os.path.join('docs', 'exercises.md')
    results = build(out, quick=args.quick, ctx=args.ctx, seed=args.seed, only=only)
    print('wrote %s (%d exercises)' % (out, len(results)))
    return 1 if any(r['verdict'] == 'error' for r in results) else 0


def exercise_command(args, parser):
    """`ch3 exercise ...`: dispatch on list / run ID / report / ID."""
    from ch3.harness.results import UsageError
    what = args.what
    if what in ('list', 'report') and args.exercise_id:
        raise UsageError('%s takes no exercise id (got %s)' % (what, args.exercise_id))
    if what == 'list':
        return _list(args)
    if what == 'report':
        return _report(args)
    if what == 'run':
        if not args.exercise_id:
            raise UsageError('run needs an exercise id, e.g. ch3 exercise run 3.9.1')
        what = args.exercise_id
    elif args.exercise_id:
        raise UsageError('unexpected argument %s after the exercise id %s'
                         % (args.exercise_id, what))
    run_and_write(what, ctx=args.ctx, seed=args.seed, quick=args.quick, out=args.out)
    return 0
