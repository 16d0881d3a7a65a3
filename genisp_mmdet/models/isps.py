"""mmdet glue: the plain-torch ISPs, registered in mmdet's MODELS."""
from mmdet.registry import MODELS

from ..isp import ClassicISP, GenISP, IdentityISP, LinearISP

for _cls in (GenISP, IdentityISP, LinearISP, ClassicISP):
    MODELS.register_module(module=_cls)
