"""mmdet glue: an ISP as the first stage of a detector's data preprocessor."""
from __future__ import annotations

import os
from typing import List, Optional, Sequence, Union

import torch
from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmdet.registry import MODELS
from torch import Tensor

from ...utils.checkpoint import load_isp_state_dict

RAW_EXTENSIONS = ('.dng', '.arw', '.nef', '.cr2', '.cr3', '.raf', '.orf',
                  '.rw2', '.pef', '.srw', '.kdc', '.3fr', '.iiq', '.raw')


@MODELS.register_module()
class GenISPDataPreprocessor(DetDataPreprocessor):
    """Runs an ISP on each image, then mmdet's normalisation and padding.

    Per batch: cast to the device; scale inputs to [0, 1]
    (``/ input_scale``); run the ISP on each image unpadded, in fp32;
    multiply by ``output_scale`` (255 maps [0, 1] to the 0-255 range the
    detector's ``mean``/``std`` expect); normalise, pad and record
    ``batch_input_shape``/``pad_shape`` as :class:`DetDataPreprocessor`
    does; fold each sample's ``raw_scale`` (from
    :class:`LoadRawImageFromFile`) into its ``scale_factor``, so that
    predictions map back to annotated-area pixels.

    The same class runs every row of a comparison: GenISP, the fixed ISPs
    (``IdentityISP``, ``LinearISP``, ``ClassicISP``) or the well-lit sRGB
    upper bound (``IdentityISP`` with ``input_scale=255`` and
    ``input_bgr_to_rgb=True`` for images loaded by ``LoadImageFromFile``).

    Args:
        isp: config of the ISP module (``type='GenISP'`` etc.).
        mean, std: the detector's normalisation, on a 0-255 scale.
        input_scale: divides the loaded images (1 for RAW loaders, 255 for
            8-bit images).
        output_scale: multiplies the ISP output before ``mean``/``std``.
        input_bgr_to_rgb: flip channels before the ISP (8-bit images
            loaded by OpenCV are BGR).
        isp_checkpoint: optional checkpoint to take the ISP's weights from
            (e.g. a GenISP trained with another detector); keys are looked
            up under ``isp_checkpoint_prefix``.
        **kwargs: :class:`DetDataPreprocessor` arguments (``pad_size_divisor``,
            ``batch_augments``, ...). ``bgr_to_rgb``/``rgb_to_bgr`` act on the
            ISP's output.
    """

    def __init__(self,
                 isp: dict = dict(type='GenISP'),
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 input_scale: float = 1.0,
                 output_scale: float = 255.0,
                 input_bgr_to_rgb: bool = False,
                 isp_checkpoint: Optional[str] = None,
                 isp_checkpoint_prefix: str = 'data_preprocessor.isp.',
                 **kwargs) -> None:
        super().__init__(mean=mean, std=std, **kwargs)
        self.isp = MODELS.build(isp)
        self.input_scale = float(input_scale)
        self.output_scale = float(output_scale)
        self.input_bgr_to_rgb = input_bgr_to_rgb
        if isp_checkpoint is not None:
            state = load_isp_state_dict(isp_checkpoint, isp_checkpoint_prefix)
            self.isp.load_state_dict(state, strict=True)

    def develop(self, inputs: Union[Tensor, Sequence[Tensor]]) -> List[Tensor]:
        """Run the ISP alone: loaded images -> ISP outputs ``(3, H, W)``,
        nominally [0, 1] (no normalisation, no padding)."""
        images = [x.to(self.device).float() for x in inputs]
        if self.input_bgr_to_rgb:
            images = [x.flip(0) for x in images]
        if self.input_scale != 1.0:
            images = [x / self.input_scale for x in images]
        return list(self.isp(images))

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        outputs = [x * self.output_scale for x in self.develop(data['inputs'])]
        data = super().forward(
            dict(inputs=outputs, data_samples=data.get('data_samples')),
            training=training)
        for sample in data['data_samples'] or []:
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
