"""mmdet glue: an ISP in front of a detector's own data preprocessor."""
from __future__ import annotations

import os
from typing import List, Optional, Sequence, Union

from mmengine.model import BaseDataPreprocessor
from mmdet.registry import MODELS
from torch import Tensor

from ...isp.genisp import genisp_settings
from ...utils.checkpoint import checkpoint_isp_config, load_isp_state_dict

RAW_EXTENSIONS = ('.dng', '.arw', '.nef', '.cr2', '.cr3', '.raf', '.orf',
                  '.rw2', '.pef', '.srw', '.kdc', '.3fr', '.iiq', '.raw')
# Arguments of the detector's own preprocessor that older configs gave
# here; they now belong to ``data_preprocessor`` (the detector's, whole).
_DETECTOR_ARGS = ('mean', 'std', 'pad_size_divisor', 'pad_value',
                  'pad_mask', 'mask_pad_value', 'pad_seg', 'seg_pad_value',
                  'bgr_to_rgb', 'rgb_to_bgr', 'boxtype2tensor',
                  'non_blocking', 'batch_augments')


@MODELS.register_module()
class GenISPDataPreprocessor(BaseDataPreprocessor):
    """Runs an ISP on each image, then the detector's own data preprocessor,
    unchanged.

    Per batch: cast to the device; bring the loaded images to the ISP's
    input (``/ input_scale``; 8-bit images from ``LoadImageFromFile`` are
    BGR and flipped to RGB with ``input_bgr_to_rgb``); run the ISP on each
    image unpadded, in fp32 (RGB out, nominally [0, 1]); hand its output to
    ``data_preprocessor`` in the form that preprocessor was configured for,
    an image loaded by mmcv's ``LoadImageFromFile``: 0-255, BGR channel
    order. The detector's own ``mean``, ``std``, ``bgr_to_rgb``, padding,
    ``pad_mask`` and ``batch_augments`` then apply as they were trained: a
    caffe-style detector (``bgr_to_rgb=False``, BGR mean) receives BGR, an
    ImageNet-style one RGB, YOLOX its unnormalised 0-255 input. Finally each
    sample's ``raw_scale`` (from :class:`LoadRawImageFromFile`) is folded
    into its ``scale_factor``, so that predictions map back to
    annotated-area pixels.

    In a config, wrap a detector's own config whole (mmdet's idiom of
    ``configs/soft_teacher/``)::

        detector = _base_.model
        model = dict(
            detector, _delete_=True, type='FrozenDetector',
            detector=detector.type,
            data_preprocessor=dict(
                type='GenISPDataPreprocessor', isp=dict(type='GenISP'),
                data_preprocessor=detector.data_preprocessor))

    The same class runs every row of a comparison: GenISP, the fixed ISPs
    (``IdentityISP``, ``LinearISP``, ``ClassicISP``) or the well-lit sRGB
    upper bound (``IdentityISP`` with ``input_scale=255`` and
    ``input_bgr_to_rgb=True``).

    Args:
        isp: config of the ISP module (``type='GenISP'`` etc.).
        data_preprocessor: the detector's own data preprocessor config
            (e.g. ``DetDataPreprocessor``), run unchanged after the ISP.
        input_scale: divides the loaded images (1 for RAW loaders, 255 for
            8-bit images).
        input_bgr_to_rgb: flip channels before the ISP (8-bit images
            loaded by OpenCV are BGR).
        isp_checkpoint: optional checkpoint to take the ISP's weights from
            (e.g. a GenISP trained with another detector); keys are looked
            up under ``isp_checkpoint_prefix``.
    """

    def __init__(self,
                 isp: dict = dict(type='GenISP'),
                 data_preprocessor: Optional[dict] = None,
                 input_scale: float = 1.0,
                 input_bgr_to_rgb: bool = False,
                 isp_checkpoint: Optional[str] = None,
                 isp_checkpoint_prefix: str = 'data_preprocessor.isp.',
                 **kwargs) -> None:
        old = sorted(set(kwargs) & set(_DETECTOR_ARGS) | (
            {'output_scale'} & set(kwargs)))
        if old:
            raise TypeError(
                f'GenISPDataPreprocessor got {", ".join(old)}: these belong '
                "to the detector's own data preprocessor, which is now given "
                'whole and run unchanged after the ISP: '
                'data_preprocessor=detector.data_preprocessor (see '
                "configs/genisp/ and the README's 'Swap the detector')")
        if kwargs:
            raise TypeError('GenISPDataPreprocessor got unexpected arguments '
                            f'{sorted(kwargs)}')
        if data_preprocessor is None:
            raise TypeError(
                "GenISPDataPreprocessor needs the detector's own data "
                'preprocessor: data_preprocessor=detector.data_preprocessor')
        super().__init__()
        self.isp = MODELS.build(isp)
        self.data_preprocessor = MODELS.build(data_preprocessor)
        self.input_scale = float(input_scale)
        self.input_bgr_to_rgb = input_bgr_to_rgb
        if isp_checkpoint is not None:
            _check_same_isp(isp_checkpoint, isp)
            state = load_isp_state_dict(isp_checkpoint, isp_checkpoint_prefix)
            self.isp.load_state_dict(state, strict=True)

    # mmengine's preprocessors keep their device in an attribute that only
    # their own ``to``/``cuda``/``cpu`` update: pass every move on to the
    # detector's preprocessor, or it would cast the batch back.
    def to(self, *args, **kwargs):
        self.data_preprocessor.to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def cuda(self, *args, **kwargs):
        self.data_preprocessor.cuda(*args, **kwargs)
        return super().cuda(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        self.data_preprocessor.cpu(*args, **kwargs)
        return super().cpu(*args, **kwargs)

    def isp_inputs(self, inputs: Union[Tensor, Sequence[Tensor]]
                   ) -> List[Tensor]:
        """Loaded images -> what the ISP takes: ``(3, H, W)`` float on the
        device, RGB, scaled by ``1 / input_scale``."""
        images = [x.to(self.device).float() for x in inputs]
        if self.input_bgr_to_rgb:
            images = [x.flip(0) for x in images]
        if self.input_scale != 1.0:
            images = [x / self.input_scale for x in images]
        return images

    def run_isp(self, inputs: Union[Tensor, Sequence[Tensor]]) -> List[Tensor]:
        """Run the ISP alone: loaded images -> ISP outputs ``(3, H, W)``,
        RGB, nominally [0, 1] (no normalisation, no padding)."""
        return list(self.isp(self.isp_inputs(inputs)))

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        # As LoadImageFromFile would have loaded the ISP's image.
        loaded = [(x * 255.0).flip(0) for x in self.run_isp(data['inputs'])]
        data = self.data_preprocessor(
            dict(inputs=loaded, data_samples=data.get('data_samples')),
            training)
        for sample in data.get('data_samples') or []:
            self._fold_raw_scale(sample)
        return data

    @staticmethod
    def _fold_raw_scale(sample) -> None:
        raw_scale = sample.metainfo.get('raw_scale')
        if raw_scale is None:
            path = str(sample.metainfo.get('img_path', ''))
            if os.path.splitext(path)[1].lower() in RAW_EXTENSIONS:
                raise KeyError(
                    f"{path}: no 'raw_scale' in the sample's meta information;"
                    " add 'raw_scale' to PackDetInputs' meta_keys, otherwise "
                    'predictions are not mapped back to annotation pixels')
            return
        sx, sy = sample.metainfo.get('scale_factor', (1.0, 1.0))
        sample.set_metainfo(
            dict(scale_factor=(sx * raw_scale[0], sy * raw_scale[1])))


def _check_same_isp(path: str, isp: dict) -> None:
    """Weights of one ISP loaded into another that computes something else
    (other parametrisation, normalisation, thumbnail size) would run
    without an error and give silently wrong images: refuse them, naming
    the settings that differ."""
    trained = checkpoint_isp_config(path)
    if not trained:
        return
    try:
        here, trained = _function_settings(isp), _function_settings(trained)
    except TypeError as e:
        raise ValueError(f'{path}: its ISP config and this one cannot be '
                         f'compared: {e}') from e
    differ = sorted(k for k in set(here) | set(trained)
                    if here.get(k) != trained.get(k))
    if differ:
        raise ValueError(
            f'{path}: its ISP was trained as {trained}, this config builds '
            f'{here} (different: {", ".join(differ)}); give this config the '
            "checkpoint's ISP settings")


# ShallowConvNet settings that choose how, not what, it computes.
_HOW = ('path', 'checkpoint')


def _function_settings(isp: dict) -> dict:
    """An ISP config without what does not change its function (its
    scope, the shallow ConvNet's path and gradient checkpointing); a
    GenISP's with every default filled in (:func:`genisp_settings`), so
    that ``dict(type='GenISP')`` and the same settings spelled out agree."""
    out = {k: v for k, v in dict(isp).items() if k != '_scope_'}
    if str(out.get('type', '')).split('.')[-1] == 'GenISP':
        out = dict(genisp_settings(out), type='GenISP')
    enhance = {k: v for k, v in dict(out.pop('enhance_cfg', None) or
                                     {}).items() if k not in _HOW}
    if enhance:
        out['enhance_cfg'] = enhance
    return out
