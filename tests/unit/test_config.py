"""Config.from_env: the serving limits' and the database timeouts' keys, their defaults, and a
malformed value naming its key."""
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


def test_the_database_timeouts_default_to_five_seconds_each():
    config = Config.from_env({})
    assert (config.statement_timeout, config.connect_timeout) == (5, 5)


def test_the_database_timeouts_are_read_from_the_environment():
    config = Config.from_env({"PROGRESS_SERVICE_STATEMENT_TIMEOUT": "12", "PROGRESS_SERVICE_CONNECT_TIMEOUT": "3"})
    assert (config.statement_timeout, config.connect_timeout) == (12, 3)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("PROGRESS_SERVICE_STATEMENT_TIMEOUT", "5s", "PROGRESS_SERVICE_STATEMENT_TIMEOUT must be a whole number, got '5s'"),
    ("PROGRESS_SERVICE_STATEMENT_TIMEOUT", "0", "PROGRESS_SERVICE_STATEMENT_TIMEOUT must be at least 1, got 0"),
    ("PROGRESS_SERVICE_CONNECT_TIMEOUT", "1", "PROGRESS_SERVICE_CONNECT_TIMEOUT must be at least 2, got 1"),
])
def test_a_malformed_timeout_is_refused_naming_its_key(key, value, message):
    with pytest.raises(ConfigError) as refused:
        Config.from_env({key: value})
    assert str(refused.value) == message


def test_the_nats_relay_is_off_without_a_nats_url_and_the_flag_outranks_the_environment():
    assert Config.from_env({}).nats_url is None
    assert Config.from_env({"NATS_URL": "nats://127.0.0.1:4222"}).nats_url == "nats://127.0.0.1:4222"
    assert Config.from_env({"NATS_URL": "nats://a:4222"}, nats_url="tls://b:4222").nats_url == "tls://b:4222"


@pytest.mark.parametrize("value", ["127.0.0.1:4222", "http://127.0.0.1:4222"])
def test_a_nats_url_that_is_no_nats_address_is_refused_naming_its_key(value):
    with pytest.raises(ConfigError, match=f"NATS_URL must be a nats:// or tls:// address .*got '{value}'"):
        Config.from_env({"NATS_URL": value})


def test_the_mail_worker_looks_each_minute_unless_told_a_divisor_of_a_minute():
    assert Config.from_env({}).mail_check_seconds == 60
    assert Config.from_env({"PROGRESS_SERVICE_MAIL_CHECK_SECONDS": "5"}).mail_check_seconds == 5
    with pytest.raises(ConfigError, match="PROGRESS_SERVICE_MAIL_CHECK_SECONDS must divide a minute"):
        Config.from_env({"PROGRESS_SERVICE_MAIL_CHECK_SECONDS": "7"})
