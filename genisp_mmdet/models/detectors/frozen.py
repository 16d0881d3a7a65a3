"""mmdet glue: any mmdet detector, frozen, behind a trainable ISP.

Mechanism: ``FrozenDetector`` builds the detector's own class through a
subclass that adds freezing. The module tree is the detector's own (no
wrapper, no key prefix), so stock mmdet checkpoints load with ``load_from``
unchanged, ``isinstance`` checks and mmdet's hooks see the usual detector,
and DDP (wrapped inside ``Runner.__init__``) only ever sees the ISP's
parameters as trainable, because freezing happens at construction.

In a config, wrap the detector's config whole: its own keys stay where
mmdet's tools look for them (``model.backbone``, ``model.test_cfg``), its
type becomes ``detector``, and its data preprocessor runs inside GenISP's::

    detector = _base_.model
    model = dict(
        detector, _delete_=True, type='FrozenDetector',
        detector=detector.type,
        data_preprocessor=dict(
            type='GenISPDataPreprocessor', isp=dict(type='GenISP'),
            data_preprocessor=detector.data_preprocessor))
"""
from __future__ import annotations

from typing import Dict, Sequence, Tuple, Type

from mmdet.registry import MODELS
from torch import nn

_FROZEN_CLASSES: Dict[type, type] = {}


def _under(name: str, prefixes: Sequence[str]) -> bool:
    return any(name == p or name.startswith(p + '.') for p in prefixes)


class FrozenDetectorMixin:
    """Freezes every parameter outside ``trainable`` and keeps frozen
    modules in eval mode (BatchNorm statistics, Dropout) through the
    runner's ``model.train()`` calls."""

    trainable: Tuple[str, ...] = ('data_preprocessor.isp', )

    def freeze(self) -> None:
        for name, param in self.named_parameters():
            param.requires_grad_(_under(name, self.trainable))

    def train(self, mode: bool = True):
        super().train(mode)
        for name, module in self.named_modules():
            if name and not _under(name, self.trainable) and not any(
                    p.startswith(name + '.') for p in self.trainable):
                module.eval()
        return self

    def trainable_parameters(self):
        return [p for p in self.parameters() if p.requires_grad]


def frozen_class(cls: Type[nn.Module]) -> type:
    """The frozen subclass of a detector class (created once per class)."""
    if cls not in _FROZEN_CLASSES:
        _FROZEN_CLASSES[cls] = type(f'Frozen{cls.__name__}',
                                    (FrozenDetectorMixin, cls),
                                    {'__module__': __name__})
    return _FROZEN_CLASSES[cls]


@MODELS.register_module()
def FrozenDetector(detector: str,
                   trainable: Sequence[str] = ('data_preprocessor.isp', ),
                   **kwargs) -> nn.Module:
    """Build ``detector`` (a name in mmdet's MODELS registry) from
    ``kwargs`` with all parameters frozen except those under the
    ``trainable`` name prefixes.

    Args:
        detector: the detector type, e.g. ``'RetinaNet'``, ``'FCOS'``,
            ``'FasterRCNN'``.
        trainable: parameter-name prefixes that stay trainable.
        **kwargs: the detector's own arguments (backbone, neck, heads,
            data_preprocessor, train_cfg, test_cfg, init_cfg).
    """
    if not isinstance(detector, str):
        raise TypeError(
            'FrozenDetector takes the detector type as `detector` and its '
            "arguments beside it: model = dict(detector, type='FrozenDetector',"
            ' detector=detector.type, data_preprocessor=...), with detector '
            f'= _base_.model; got detector={type(detector).__name__}')
    cls = MODELS.get(detector)
    if cls is None:
        raise KeyError(f'{detector!r} is not a registered mmdet model')
    model = frozen_class(cls)(**kwargs)
    model.trainable = tuple(trainable)
    model.freeze()
    return model
