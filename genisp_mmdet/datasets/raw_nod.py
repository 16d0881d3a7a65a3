"""RAW-NOD (Morawski et al., CVPRW 2022): night street scenes in RAW from a
Sony RX100 VII (.ARW, 5472x3648) and a Nikon D750 (.NEF, 3936x2624).

The published annotation files are read as they are; their quirks are
handled by :class:`~genisp_mmdet.datasets.raw_coco.RawCocoDataset`:
string image ids (file stems) in most files and integer ids in
``raw_str_labeled_new_Sony_RX100m7_test.json``, annotation ids starting
at 0, files that list all 80 COCO categories, degenerate boxes.
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, Optional

from mmdet.registry import DATASETS

from .raw_coco import RawCocoDataset

# Where each camera's RAW files live under the data root, by extension.
RAW_NOD_IMAGE_DIRS = {'.arw': 'Sony/raw_images', '.nef': 'Nikon/raw_images'}


@DATASETS.register_module()
class RawNODDataset(RawCocoDataset):
    """RAW-NOD in its documented layout::

        data/RAW-NOD/
          annotations/Sony/raw_new_Sony_RX100m7_{train,val}.json
          annotations/Sony/raw_str_labeled_new_Sony_RX100m7_test.json
          annotations/Nikon/raw_new_Nikon750_{train,val,test}.json
          Sony/raw_images/DSC01316.ARW ...
          Nikon/raw_images/DSC_0830.NEF ...

    ``dict(type='RawNODDataset', ann_file=...)`` is enough: classes are
    person, bicycle, car (labels 0, 1, 2: also COCO's first three), and
    without ``data_prefix`` each image is looked up in its camera's folder,
    chosen by its extension (``image_dirs``), so files that mix both
    cameras work too. With an explicit ``data_prefix=dict(img=...)`` every
    ``file_name`` is relative to that folder instead.

    Args:
        data_root: the RAW-NOD folder.
        data_prefix: None for the layout above, else mmdet's usual dict.
        image_dirs: file extension -> folder under ``data_root``; defaults
            to :data:`RAW_NOD_IMAGE_DIRS`.
        **kwargs: :class:`RawCocoDataset` arguments.
    """

    METAINFO = dict(
        classes=('person', 'bicycle', 'car'),
        palette=[(220, 20, 60), (119, 11, 32), (0, 0, 142)])

    def __init__(self,
                 *args,
                 data_root: Optional[str] = 'data/RAW-NOD/',
                 data_prefix: Optional[dict] = None,
                 image_dirs: Optional[Dict[str, str]] = None,
                 **kwargs):
        self.use_layout = data_prefix is None
        dirs = RAW_NOD_IMAGE_DIRS if image_dirs is None else image_dirs
        self.image_dirs = {('.' + k.lstrip('.')).lower(): v
                           for k, v in dirs.items()}
        super().__init__(
            *args,
            data_root=data_root,
            data_prefix=dict(img='') if data_prefix is None else data_prefix,
            **kwargs)

    def image_root(self, img_info: dict) -> str:
        if not self.use_layout:
            return super().image_root(img_info)
        ext = osp.splitext(img_info['file_name'])[1].lower()
        if ext not in self.image_dirs:
            raise ValueError(
                f'{self.ann_file}: {img_info["file_name"]!r} has no camera '
                f'folder for extension {ext!r} (known: '
                f'{sorted(self.image_dirs)}); set image_dirs or data_prefix')
        return osp.join(self.data_prefix['img'], self.image_dirs[ext])
