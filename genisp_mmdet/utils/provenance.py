"""Where a result came from: the commit and the machine (for tools that
record their figures)."""
import platform
import subprocess


def commit_id(repo: str) -> str:
    """Short commit of ``repo``'s HEAD, ``-dirty`` when the package,
    configs or tools have uncommitted changes; ``unknown`` without git."""
    try:
        rev = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                             cwd=repo, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--',
                                'genisp_mmdet', 'configs', 'tools'],
                               cwd=repo, capture_output=True,
                               text=True).stdout.strip()
        return rev + ('-dirty' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or what ``platform``
    knows."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'
