"""Config.from_env: the serving limits' keys, their defaults, and a malformed value naming its key."""
from __future__ import annotations

import pytest

from progress_service.config import Config, ConfigError

SERVING_KEYS = {"PROGRESS_SERVICE_MAX_BODY_BYTES": "max_body_bytes",
                "PROGRESS_SERVICE_CONNECTION_LIMIT": "connection_limit",
                "PROGRESS_SERVICE_IDLE_TIMEOUT": "idle_timeout",
                "PROGRESS_SERVICE_REQUEST_TIMEOUT": "request_timeout"}


def test_the_serving_limits_default_to_1_mib_1000_connections_15_s_idle_and_10_s_a_request():
    config = Config.from_env({})

    assert (config.max_body_bytes, config.connection_limit, config.idle_timeout, config.request_timeout) == \
        (1_048_576, 1000, 15, 10)


@pytest.mark.parametrize("key, field", SERVING_KEYS.items())
def test_a_serving_limit_is_read_from_its_key(key, field):
    assert getattr(Config.from_env({key: "7"}), field) == 7


@pytest.mark.parametrize("key", SERVING_KEYS)
@pytest.mark.parametrize("value", ["ten", "0", "-1"])
def test_a_malformed_serving_limit_names_its_key(key, value):
    with pytest.raises(ConfigError, match=key):
        Config.from_env({key: value})
