import pytest
from tls_material import Issued, make_ca


@pytest.fixture(scope="session")
def test_ca() -> Issued:
    return make_ca()
