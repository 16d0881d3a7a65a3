"""mmdet glue: any mmdet detector, frozen, behind a trainable ISP.

Mechanism: ``FrozenDetector`` builds the detector's own class through a
subclass that adds freezing. The module tree is the detector's own (no
wrapper, no key prefix), so stock mmdet checkpoints load with ``load_from``
unchanged, ``isinstance`` checks and mmdet's hooks see the usual detector,
and DDP (wrapped inside ``Runner.__init__``) only ever sees the ISP's
parameters as trainable, because freezing happens at construction.

In a config, wrap the detector's config whole::

    detector = _base_.model
    model = dict(_delete_=True, type='FrozenDetector', detector=detector,
                 data_preprocessor=dict(
                     type='GenISPDataPreprocessor', isp=dict(type='GenISP'),
                     data_preprocessor=detector.data_preprocessor))
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple, Type, Union

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
def FrozenDetector(detector: Union[dict, str],
                   data_preprocessor: Optional[dict] = None,
                   trainable: Sequence[str] = ('data_preprocessor.isp', ),
                   **kwargs) -> nn.Module:
    """Build a detector with all parameters frozen except those under the
    ``trainable`` name prefixes.

    Args:
        detector: the detector's own model config, whole (``type``,
            backbone, heads, ``data_preprocessor``, ``train_cfg``, ...); or
            a type name such as ``'RetinaNet'``, its arguments then given as
            ``**kwargs``.
        data_preprocessor: replaces the detector's data preprocessor (a
            ``GenISPDataPreprocessor`` that runs the detector's own after
            the ISP).
        trainable: parameter-name prefixes that stay trainable.
    """
    if isinstance(detector, str):
        cfg = dict(kwargs, type=detector)
    else:
        if kwargs:
            raise TypeError(f'FrozenDetector got {sorted(kwargs)} beside a '
                            'whole detector config; put them in `detector`')
        cfg = dict(detector)
    cfg.pop('_scope_', None)  # the classes live in mmdet's registry
    if data_preprocessor is not None:
        cfg['data_preprocessor'] = data_preprocessor
    name = cfg.pop('type')
    cls = MODELS.get(name) if isinstance(name, str) else name
    if cls is None:
        raise KeyError(f'{name!r} is not a registered mmdet model')
    model = frozen_class(cls)(**cfg)
    model.trainable = tuple(trainable)
    model.freeze()
    return model
