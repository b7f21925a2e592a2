from tests.integration.api.conftest import stack  # noqa: F401  (the in-process stack fixture)
