"""genisp-mmdet: GenISP for low-light object detection on RAW, for mmdetection 3.x."""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_requirements(name):
    with open(os.path.join(HERE, 'requirements', name)) as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip() and not line.startswith('-')
        ]


def read_version():
    with open(os.path.join(HERE, 'genisp_mmdet', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


with open(os.path.join(HERE, 'README.md'), encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='genisp-mmdet',
    version=read_version(),
    description='GenISP: a minimal neural ISP for low-light object detection '
    'on RAW images, as an mmdetection 3.x plug-in',
    long_description=long_description,
    long_description_content_type='text/markdown',
    packages=find_packages(include=['genisp_mmdet', 'genisp_mmdet.*']),
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt') +
    read_requirements('mminstall.txt') + ['torch>=1.10'],
    extras_require={
        'tests': read_requirements('tests.txt'),
        'study': read_requirements('study.txt'),
    },
    license='MIT',
    classifiers=[
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: MIT License',
        'Topic :: Scientific/Engineering :: Image Recognition',
    ],
)
