"""Exercise of 3.14 (forward and backward propagation): add biases to the hidden and output
layers, change the graph and derive their gradients; checked by the section's run
(ch3.harness.runs.backprop.bias_exercise, i.e. ch3.book.backprop with biases) against autograd
and finite differences."""
from ch3.harness.exercises.base import ExerciseList, Outcome, first_ctx, fmt, train
from ch3.harness.runs import backprop as backprop_run
from ch3.harness.settings import QUICK

EXERCISES = ExerciseList()

BOOK = {'batch_size': 256, 'num_inputs': 784, 'num_hiddens': 256, 'num_outputs': 10,
        'lambd': 0.1, 'activation': 'relu', 'fd_entries': 20}


@EXERCISES.add('3.14.1', 'Add biases to the hidden and output layers of the example model: '
               'change the computational graph and derive the forward and backward equations',
               '（笔记没有回答这一题）', '(the notes skip this question)',
               full_note="the section's sizes (batch 256, 784 -> 256 -> 10, lambda 0.1), "
                         '20 finite-difference entries per bias')
def biases(ctx, quick, out, seed):
    settings = dict(BOOK)
    if quick:
        settings.update({k: min(v, settings[k]) for k, v in QUICK['3.14'].items()})
    result = train(backprop_run.bias_exercise, seed, device=first_ctx(ctx)[0], **settings)
    return Outcome(result, [], settings=settings,
                   answer='Graph: z = W1 x + b1 and o = W2 h + b2 gain a "+" node each with b1, '
                          'b2 as new leaves; the penalty s = lambda/2 (|W1|^2 + |W2|^2) leaves '
                          'the biases out. Backward: dJ/db2 = dJ/do (summed over the batch) and '
                          'dJ/db1 = dJ/dz = dJ/dh * phi\'(z) (summed over the batch); the weight '
                          'gradients keep their form. Hand-derived against autograd: largest '
                          'relative difference %s (b1 %s, b2 %s); against central finite '
                          'differences in float64: %s; the weight gradients still agree to %s.'
                          % (fmt(result['bias_autograd_max_rel_diff']),
                             fmt(result['bias_autograd_rel_diff']['b1']),
                             fmt(result['bias_autograd_rel_diff']['b2']),
                             fmt(result['bias_finite_difference_max_rel_error']),
                             fmt(result['bias_weights_still_agree'])))
