import shutil

import pytest

from support import EXAMPLES, SHARED


@pytest.fixture
def shared():
    if not SHARED.exists():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture
def examples_copy(tmp_path):
    dst = tmp_path / "examples"
    shutil.copytree(EXAMPLES, dst)
    return dst
