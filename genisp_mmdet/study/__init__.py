"""The study and the benchmark on the embedded synthetic benchmark, as
importable code; ``tools/study.py`` and ``tools/benchmark.py`` are their
command lines.

One row of the study, from its plan to its line in the README::

    plans.py    Row(method, detector, EvalSet(camera, ...), seed) in a Plan
    stages.py   the data it needs (tools/make_synthetic_raw.py), the
                training it needs (tools/train.py), its evaluation
                (tools/test.py --metrics-json) -> <work_root>/rows/<id>.json
    report.py   rows grouped over seeds -> results/*.json, *.md, the goal
                lines, the README block (markdown.splice)
    figures.py  example images and AP along the axes of light

The commands run through :class:`~.shell.Workspace` (the repository and
how many commands run at once). Like mmdet's own tools, this part needs
the repository (configs, tools, checkpoints), not only the package. Its
modules import mmdet only inside the stages that need it.
"""
from . import plans, runs
from .shell import CommandFailed, Workspace

__all__ = ['CommandFailed', 'Workspace', 'plans', 'runs']
