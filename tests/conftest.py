"""Shared test setup: the kit cache lives in a temporary folder, never in the user's home."""
import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def kit_cache_in_a_temporary_folder(tmp_path_factory):
    """XDG_CACHE_HOME for the whole session (subprocesses inherit it): one kit is synthesized,
    then read from there by every test and every script the tests run."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before
