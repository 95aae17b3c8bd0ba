"""The launch tests' browser (a requests session against the app and the sandbox on one live server)."""

from tests.launch.conftest import browser  # noqa: F401  re-exported fixture
