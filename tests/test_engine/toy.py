"""Small real mmengine set-ups for the engine tests: a model with one
trainable weight (optionally behind an ISP data preprocessor), a data set
of given images, a metric that only counts, and a Runner around them."""
import os
import uuid

import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmdet.structures import DetDataSample

import genisp_mmdet  # noqa: F401  (registers the hooks and ISPs)
from genisp_mmdet.models import GenISPDataPreprocessor


def isp_preprocessor(isp=None):
    """A GenISPDataPreprocessor running the module ``isp`` (IdentityISP
    when None) before mmdet's DetDataPreprocessor."""
    preprocessor = GenISPDataPreprocessor(
        isp=dict(type='IdentityISP'),
        data_preprocessor=dict(type='DetDataPreprocessor'))
    if isp is not None:
        preprocessor.isp = isp
    return preprocessor


class ToyModel(BaseModel):
    """``loss = w * mean(inputs)``, one trainable weight ``w``.

    A sample whose meta information has ``nan_loss`` adds a NaN constant to
    the loss (the gradient stays finite); ``nan_grad`` adds ``sqrt(0 * w)``
    (value 0, gradient NaN). ``frozen`` is a NaN parameter with
    ``requires_grad=False``. ``predict`` returns the data samples.
    """

    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.w = torch.nn.Parameter(torch.ones(1))
        self.frozen = torch.nn.Parameter(
            torch.full((1, ), float('nan')), requires_grad=False)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if isinstance(inputs, torch.Tensor):
            x = inputs.float().mean()
        else:
            x = torch.stack([i.float().mean() for i in inputs]).mean()
        if mode == 'predict':
            return data_samples
        loss = (self.w * x).sum()
        flags = [s.metainfo for s in data_samples or []]
        if any(f.get('nan_loss') for f in flags):
            loss = loss + torch.tensor(float('nan'))
        if any(f.get('nan_grad') for f in flags):
            loss = loss + torch.sqrt(self.w * 0).sum()
        return dict(loss=loss) if mode == 'loss' else loss


class ImageList(torch.utils.data.Dataset):
    """Items ``dict(inputs=<image>, data_samples=DetDataSample)`` with
    ``img_path`` ``img_<i>`` and, for the indices in ``flags[name]``, the
    meta information ``name=True``."""

    def __init__(self, images, **flags):
        self.images = list(images)
        self.flags = flags

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        meta = dict(img_path=f'img_{i}')
        meta.update({k: True for k, idx in self.flags.items() if i in idx})
        return dict(inputs=self.images[i],
                    data_samples=DetDataSample(metainfo=meta))


class CountMetric(BaseMetric):
    """Counts the samples of each evaluation, in ``seen``."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def process(self, data_batch, data_samples):
        self.results.append(len(data_samples))

    def compute_metrics(self, results):
        self.seen.append(sum(results))
        return dict(samples=sum(results))


def loader(dataset, batch_size=2, shuffle=False, num_workers=0):
    return dict(dataset=dataset, batch_size=batch_size,
                num_workers=num_workers,
                sampler=dict(type='DefaultSampler', shuffle=shuffle),
                collate_fn=dict(type='pseudo_collate'))


def make_runner(work_dir, model, train, val=None, max_epochs=1,
                custom_hooks=(), default_hooks=None, **kwargs):
    """A Runner training ``model`` on the dataloader config ``train`` for
    ``max_epochs`` epochs with SGD, validating on ``val`` (counted by
    :class:`CountMetric`) after every epoch. mmengine's checkpoint hook is
    off unless ``default_hooks`` sets one."""
    name = uuid.uuid4().hex  # runners must not share loggers
    hooks = dict(checkpoint=None)
    hooks.update(default_hooks or {})
    val_args = dict(val_dataloader=val, val_cfg=dict(),
                    val_evaluator=[CountMetric()]) if val else {}
    kwargs.setdefault('train_cfg', dict(by_epoch=True, max_epochs=max_epochs,
                                        val_interval=1))
    return Runner(
        model=model, work_dir=str(work_dir), experiment_name=name,
        train_dataloader=train,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=hooks, custom_hooks=list(custom_hooks),
        default_scope='mmdet', **val_args, **kwargs)


def log_text(runner):
    """What the runner has logged so far (its log file)."""
    with open(f'{runner.log_dir}/{runner.timestamp}.log') as f:
        return f.read()


def file_with_hard_link(path, data):
    """``path`` (a ``pathlib.Path``) holding ``data``, and a second name
    ``<path>.link`` for the same inode, which is returned: a write into
    ``path`` shows through the link, a replace of ``path`` does not."""
    path.write_bytes(data)
    link = path.with_name(path.name + '.link')
    os.link(path, link)
    return link
