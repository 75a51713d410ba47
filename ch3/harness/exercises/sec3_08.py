"""Exercises of 3.8 (activation functions): the derivatives of sigmoid and tanh, and the properties
the notes list, checked against autograd on the book's grid; other activation functions (the
section's run, ch3.harness.runs.activations, with ch3.book.activations.OTHER_ACTIVATIONS)."""
from mxnet import nd

from ch3.harness.exercises.base import Claim, ExerciseList, Outcome, first_ctx, fmt, save, train
from ch3.book.plotting import new_figure
from ch3.book import activations
from ch3.harness.runs import activations as activations_run

EXERCISES = ExerciseList()


def _max_abs(a, b):
    return float(nd.abs(a - b).max().asscalar())


def _sigmoid_definition(X):
    return 1 / (1 + nd.exp(-X))


def _tanh_definition(X):
    return (1 - nd.exp(-2 * X)) / (1 + nd.exp(-2 * X))


@EXERCISES.add('3.8.1', 'Derive the derivatives of sigmoid and tanh with the chain rule (and the '
               'properties of the activations)',
               "sigmoid'(x) = sigmoid(x)(1-sigmoid(x))；tanh'(x) = 1 - tanh^2(x)；sigmoid：值域在0和1之间，"
               '函数具有非常好的对称性，对输入超过一定范围就会不敏感；Tanh函数是0均值的',
               "sigmoid'(x) = sigmoid(x)(1 - sigmoid(x)); tanh'(x) = 1 - tanh(x)^2; sigmoid lies "
               'in (0, 1), is symmetric and insensitive to inputs beyond some range; tanh has '
               'zero mean')
def derivatives(ctx, quick, out, seed):
    x = activations.grid(ctx=first_ctx(ctx)[0])   # the book's nd.arange(-8, 8, 0.1)
    s, t = nd.sigmoid(x), nd.tanh(x)
    notes_sigmoid_grad, notes_tanh_grad = s * (1 - s), 1 - t ** 2
    # autograd through the definitions (exp, +, /), i.e. the chain rule done by the machine
    autograd_sigmoid = activations.autograd_grad(_sigmoid_definition, x)
    autograd_tanh = activations.autograd_grad(_tanh_definition, x)
    saturated = nd.abs(x) > 5
    measured = {
        'grid': [float(x[0].asscalar()), float(x[-1].asscalar()), int(x.size)],
        'sigmoid_grad_error': _max_abs(notes_sigmoid_grad, autograd_sigmoid),
        'tanh_grad_error': _max_abs(notes_tanh_grad, autograd_tanh),
        'sigmoid_range': [float(s.min().asscalar()), float(s.max().asscalar())],
        'sigmoid_symmetry_error': _max_abs(nd.sigmoid(-x), 1 - s),
        'sigmoid_max_grad_beyond_5': float((autograd_sigmoid * saturated).max().asscalar()),
        'sigmoid_grad_at_0': float(autograd_sigmoid[80].asscalar()),
        'tanh_odd_error': _max_abs(nd.tanh(-x), -t),
    }
    fig, ax = new_figure()
    xs = x.asnumpy()
    ax.plot(xs, autograd_sigmoid.asnumpy(), label="autograd sigmoid'")
    ax.plot(xs, notes_sigmoid_grad.asnumpy(), ':', label='s(1 - s)')
    ax.plot(xs, autograd_tanh.asnumpy(), label="autograd tanh'")
    ax.plot(xs, notes_tanh_grad.asnumpy(), ':', label='1 - tanh^2')
    ax.set_xlabel('x')
    ax.legend(fontsize=7)
    claims = [
        Claim("sigmoid'(x) = sigmoid(x)(1 - sigmoid(x))", measured['sigmoid_grad_error'] < 1e-6,
              'max |s(1 - s) - autograd of 1 / (1 + exp(-x))| on %d points in [-8, 8): %s'
              % (x.size, fmt(measured['sigmoid_grad_error']))),
        Claim("tanh'(x) = 1 - tanh(x)^2", measured['tanh_grad_error'] < 1e-6,
              'max |1 - tanh^2 - autograd of (1 - exp(-2x)) / (1 + exp(-2x))|: %s'
              % fmt(measured['tanh_grad_error'])),
        Claim('sigmoid lies in (0, 1)',
              measured['sigmoid_range'][0] > 0 and measured['sigmoid_range'][1] < 1,
              'range on the grid [%s, %s]' % tuple(fmt(v) for v in measured['sigmoid_range']),
              main=False),
        Claim('sigmoid is symmetric', measured['sigmoid_symmetry_error'] < 1e-6,
              'sigmoid(-x) = 1 - sigmoid(x) (point symmetry about (0, 0.5)) to %s'
              % fmt(measured['sigmoid_symmetry_error']), main=False),
        Claim('sigmoid is insensitive to inputs beyond some range',
              measured['sigmoid_max_grad_beyond_5'] < 0.01,
              "sigmoid' is %s at 0 and at most %s for |x| > 5"
              % (fmt(measured['sigmoid_grad_at_0']), fmt(measured['sigmoid_max_grad_beyond_5'])),
              main=False),
        Claim('tanh is zero-centred', measured['tanh_odd_error'] < 1e-6,
              'tanh(-x) = -tanh(x) to %s' % fmt(measured['tanh_odd_error']), main=False),
    ]
    return Outcome(measured, claims, settings={'grid': 'nd.arange(-8.0, 8.0, 0.1)'},
                   figures=save(fig, out, '3.8.1', 'derivatives'),
                   answer="sigmoid' = e^-x / (1 + e^-x)^2 = s(1 - s); tanh' = 1 - tanh^2 "
                          '(tanh = 2 sigmoid(2x) - 1).')


OTHER = tuple(activations.OTHER_ACTIVATIONS)   # leaky_relu, elu, softplus


@EXERCISES.add('3.8.2', 'Look up other activation functions',
               '（笔记只介绍了ReLU、sigmoid和tanh，没有回答这一题）',
               '(the notes describe only ReLU, sigmoid and tanh; they do not answer this)',
               full_note="the section's run (3.8 from scratch) on the book's grid "
                         'nd.arange(-8, 8, 0.1)')
def other_activations(ctx, quick, out, seed):
    run = train(activations_run.run_scratch, seed, ctx=first_ctx(ctx))
    final = run['final']
    x = activations.grid(ctx=first_ctx(ctx)[0])
    curves = activations_run.scratch_curves(x, activations.OTHER_ACTIVATIONS)
    softplus_grad_vs_sigmoid = _max_abs(curves['softplus'][1], nd.sigmoid(x))
    leaky_grad_min = float(curves['leaky_relu'][1].min().asscalar())
    elu_min = float(curves['elu'][0].min().asscalar())
    measured = {name: {'hand_grad_vs_autograd': final[name + '_grad_vs_autograd_of_scratch'],
                       'value_vs_mxnet': final[name + '_value_max_abs_diff'],
                       'grad_vs_mxnet_autograd': final[name + '_grad_max_abs_diff']}
                for name in OTHER}
    measured.update({'softplus_grad_vs_sigmoid': softplus_grad_vs_sigmoid,
                     'leaky_relu_min_grad': leaky_grad_min, 'elu_min_value': elu_min,
                     'leaky_slope': activations.LEAKY_SLOPE, 'elu_alpha': activations.ELU_ALPHA})
    fig = activations.activation_figure(x, [(n, v, g) for n, (v, g) in curves.items()])
    worst = max(max(m.values()) for name, m in measured.items() if name in OTHER)
    return Outcome(measured, [], settings=run['hyperparameters'],
                   figures=save(fig, out, '3.8.2', 'other_activations'),
                   answer='Three others, each with its hand-written derivative checked against '
                          'autograd and MXNet\'s built-in (largest difference %s): leaky ReLU '
                          '(x for x > 0, %s x below: its gradient never drops below %s, so no '
                          'unit dies), ELU (alpha (e^x - 1) below 0 with alpha %s: smooth, '
                          'bounded below by -alpha (%s on the grid), negative outputs for x < 0) '
                          'and softplus log(1 + e^x), a smooth ReLU whose derivative is the sigmoid '
                          '(to %s).'
                          % (fmt(worst), fmt(activations.LEAKY_SLOPE), fmt(leaky_grad_min),
                             fmt(activations.ELU_ALPHA), fmt(elu_min),
                             fmt(softplus_grad_vs_sigmoid)))
