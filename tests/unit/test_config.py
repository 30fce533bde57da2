"""The configuration read from the environment: the database timeouts and their checks."""
from __future__ import annotations

import pytest

from progress_service.config import Config, ConfigError


def test_the_database_timeouts_default_to_five_seconds_each():
    config = Config.from_env({})
    assert (config.statement_timeout, config.connect_timeout) == (5, 5)


def test_the_database_timeouts_are_read_from_the_environment():
    config = Config.from_env({"PROGRESS_SERVICE_STATEMENT_TIMEOUT": "12", "PROGRESS_SERVICE_CONNECT_TIMEOUT": "3"})
    assert (config.statement_timeout, config.connect_timeout) == (12, 3)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("PROGRESS_SERVICE_STATEMENT_TIMEOUT", "5s", "PROGRESS_SERVICE_STATEMENT_TIMEOUT must be a whole number, got '5s'"),
    ("PROGRESS_SERVICE_STATEMENT_TIMEOUT", "0", "PROGRESS_SERVICE_STATEMENT_TIMEOUT must be positive, got 0"),
    ("PROGRESS_SERVICE_CONNECT_TIMEOUT", "1", "PROGRESS_SERVICE_CONNECT_TIMEOUT must be at least 2, got 1"),
])
def test_a_malformed_timeout_is_refused_naming_its_key(key, value, message):
    with pytest.raises(ConfigError) as refused:
        Config.from_env({key: value})
    assert str(refused.value) == message
