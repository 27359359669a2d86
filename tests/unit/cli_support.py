"""For the `cloudshare` CLI's unit tests, which touch no AWS: they replace the suite's autouse `aws`
fixture (a new moto table and bucket per test) with one bare moto context per module, so they stay
fast while the other autouse fixtures that lean on `aws` still find a mocked AWS."""

import pytest
from moto import mock_aws


@pytest.fixture(scope="module")
def _bare_moto():
    with mock_aws():
        yield


@pytest.fixture(autouse=True)
def aws(_bare_moto):
    yield
