from .dist import prepare_cpu_distributed
from .checkpoint import (load_checkpoint_safely, load_isp_state_dict,
                         register_safe_globals, safe_globals)

__all__ = [
    'load_checkpoint_safely', 'load_isp_state_dict', 'prepare_cpu_distributed',
    'register_safe_globals', 'safe_globals'
]
