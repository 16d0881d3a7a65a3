"""NonFiniteCheckHook on real Runners: the error names the iteration, what
went non-finite (ISP input, ISP output, loss, trainable weights: only those
that did), which images and weights; frozen parameters and validation are
not checked; between intervals the ISP is still watched; the ISP's forward
hook is removed after training."""
import pytest
import torch

from genisp_mmdet.engine.hooks import NonFiniteCheckHook, NonFiniteError
from .toy import ImageList, ToyModel, isp_preprocessor, loader, make_runner


class SqrtISP(torch.nn.Module):
    """``sqrt(x - 0.5)`` per image: NaN for finite inputs below 0.5."""

    def forward(self, images):
        return [torch.sqrt(x - 0.5) for x in images]


def _model():
    return ToyModel(data_preprocessor=isp_preprocessor(SqrtISP()))


def _images(n, nan=(), dark=()):
    """Images of 0.75 (the ISP maps them to 0.5); a NaN pixel in those at
    ``nan``, 0.25 (the ISP's output is NaN) at ``dark``."""
    images = [torch.full((3, 8, 8), 0.75) for _ in range(n)]
    for i in nan:
        images[i][1, 2, 3] = float('nan')
    for i in dark:
        images[i].fill_(0.25)
    return images


def _train(tmp_path, dataset, interval=1, val=None):
    """Batch 2, one epoch; returns the model and the runner."""
    model = _model()
    runner = make_runner(tmp_path / 'work', model, loader(dataset), val=val,
                         default_hooks=dict(
                             non_finite=NonFiniteCheckHook(interval)))
    return model, runner


AFTER = ('. Training stopped before saving anything of this iteration; '
         'last checkpoint: none yet')
CASES = {
    'NaN pixel in image 3': (
        dict(images=_images(6, nan=[3])),
        'non-finite ISP input, ISP output, loss, trainable weights at '
        'iteration 2 (epoch 1, batch 2); images: img_3; weights: w'),
    'the ISP makes images 4 and 5 NaN': (
        dict(images=_images(6, dark=[4, 5])),
        'non-finite ISP output, loss, trainable weights at iteration 3 '
        '(epoch 1, batch 3); the ISP turned finite inputs into NaN/Inf; '
        'images: img_4, img_5; weights: w'),
    'NaN loss, finite gradient': (
        dict(images=_images(6), nan_loss=[2]),
        'non-finite loss at iteration 2 (epoch 1, batch 2)'),
    'NaN gradient, finite loss': (
        dict(images=_images(6), nan_grad=[2]),
        'non-finite trainable weights at iteration 2 (epoch 1, batch 2); '
        'weights: w'),
}


@pytest.mark.parametrize('case', list(CASES))
def test_the_error_names_what_went_non_finite(tmp_path, case):
    """Also: the model's ``frozen`` parameter is NaN from the start and
    never named."""
    data, message = CASES[case]
    _, runner = _train(tmp_path, ImageList(**data))
    with pytest.raises(NonFiniteError) as err:
        runner.train()
    assert str(err.value) == message + AFTER


def test_a_clean_run_completes_and_the_isp_hook_is_removed(tmp_path):
    """Validation is not watched: a NaN validation image (the ISP runs in
    eval mode) does not stop training."""
    model, runner = _train(tmp_path, ImageList(_images(4)),
                           val=loader(ImageList(_images(2, nan=[1]))))
    assert torch.isnan(model.frozen).all()
    runner.train()
    assert runner.iter == 2
    assert runner.val_loop.evaluator.metrics[0].seen == [2]
    assert not model.data_preprocessor.isp._forward_hooks


def test_between_intervals_only_the_isp_is_checked(tmp_path):
    """interval=3 over 3 iterations: a NaN loss at iteration 1 goes
    unseen (the loss of iteration 3 is finite), a NaN ISP output at
    iteration 2 stops training there."""
    _, runner = _train(tmp_path / 'loss',
                       ImageList(_images(6), nan_loss=[0]), interval=3)
    runner.train()
    assert runner.iter == 3

    _, runner = _train(tmp_path / 'isp', ImageList(_images(6, dark=[2])),
                       interval=3)
    with pytest.raises(NonFiniteError, match=r'^non-finite ISP output, loss, '
                       r'trainable weights at iteration 2 \('):
        runner.train()
