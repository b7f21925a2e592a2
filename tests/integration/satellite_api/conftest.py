import pytest

# The in-process stack and the fixtures it depends on, whatever they are named.
from tests.integration.api.conftest import *  # noqa: F403
from tests.moto_backups import one_backup_per_transaction


@pytest.fixture(autouse=True)
def one_table_backup_per_transaction():
    """100-item transactions on a seeded table stay linear (see tests/moto_backups.py)."""
    with one_backup_per_transaction():
        yield
