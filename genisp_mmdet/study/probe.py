"""What a trained GenISP's global stages (exposure normalisation, ConvWB,
ConvCC) predict on a test split of the synthetic benchmark, against what
the generator knows about each image (its scene illuminant): the
measurements of :mod:`genisp_mmdet.isp.diagnostics` on the study's data.
"""
from __future__ import annotations

import json
from typing import List, Optional

from ..synthetic import illuminant_white, layout


def probe(config: str, checkpoint: Optional[str], data_root: str,
          camera: str, split: str = 'test', limit: Optional[int] = None,
          cfg_options: Optional[dict] = None) -> List[dict]:
    """Per-image records (:func:`~genisp_mmdet.isp.diagnostics.
    stage_records`) of a trained GenISP on a split, images loaded by the
    config's test pipeline at the size the ISP sees them, with each image's
    capture settings."""
    from ..apis import IspDetector
    from ..isp.diagnostics import D65, stage_records
    det = IspDetector(config, checkpoint, cfg_options=cfg_options)
    isp = det.model.data_preprocessor.isp
    with open(layout.annotation_path(data_root, camera, split)) as f:
        images = json.load(f)['images'][:limit]
    folder = f'{data_root}/{layout.image_folder(camera)}'
    inputs = [det.load(f'{folder}/{im["file_name"]}', im['width'],
                       im['height'])['inputs'][0] for im in images]
    whites = [illuminant_white(im['illuminant_k']) if im.get('illuminant_k')
              else D65 for im in images]
    records = stage_records(isp, inputs, whites)
    for rec, im in zip(records, images):
        rec.update({k: im.get(k) for k in ('file_name', 'illuminant_k',
                                            'exposure', 'ambient')})
    return records
