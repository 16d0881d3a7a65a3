"""Data and detector weights shared by the robustness tests."""
import pytest
import torch

from ..helpers import make_raw_dataset
from ..helpers import DETECTORS, detector_checkpoint


@pytest.fixture(scope='session')
def tiny4(tmp_path_factory):
    """4 training DNGs (2 iterations of batch 2 per epoch) and a stock
    RetinaNet checkpoint of the slim detector (``det.pth``), as load_from
    would get from a model zoo. Returns the folder."""
    root = tmp_path_factory.mktemp('tiny4')
    make_raw_dataset(str(root / 'data'), num_images=4, splits=('train', ))
    detector_checkpoint(DETECTORS['retinanet'], root / 'det.pth')
    return root


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: these tests share two cores with other work, and
    oversubscribed threads make tiny convolutions many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
