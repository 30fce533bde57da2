"""Notification settings, the mails sent and the unsubscribe link, through the real Flask stack."""
from __future__ import annotations

import pytest

from progress_service.notifications import unsubscribe_token
from tests.helpers import problem_of

OFF = {"email": None, "timezone": "UTC", "daily_reminder": {"enabled": False, "at": "20:00"},
       "weekly_digest": False, "monthly_digest": False, "releases": False}


def test_a_new_account_gets_no_mail_until_it_asks(client, register):
    _, headers = register()
    answer = client.get("/api/users/me/notifications", headers=headers)
    assert answer.status_code == 200 and answer.json == OFF
    assert client.get("/api/users/me/notifications/sent", headers=headers).json == []


def test_settings_are_kept_and_a_partial_put_keeps_the_rest(client, register):
    _, headers = register()
    wanted = {"email": "ann@example.org", "timezone": "Europe/Paris",
              "daily_reminder": {"enabled": True, "at": "21:30"}, "weekly_digest": True}
    answer = client.put("/api/users/me/notifications", json=wanted, headers=headers)
    assert answer.status_code == 200
    assert answer.json == {**OFF, **wanted}
    client.put("/api/users/me/notifications", json={"monthly_digest": True, "daily_reminder": {"at": "07:05"}},
               headers=headers)
    assert client.get("/api/users/me/notifications", headers=headers).json == {
        **OFF, **wanted, "monthly_digest": True, "daily_reminder": {"enabled": True, "at": "07:05"}}
    assert client.get("/api/users/me", headers=headers).json["email"] == "ann@example.org"  # one address


@pytest.mark.parametrize("body, field", [
    ({"timezone": "Mars/Olympus"}, "timezone"), ({"timezone": "../etc/passwd"}, "timezone"),
    ({"daily_reminder": {"enabled": True, "at": "8pm"}}, "daily_reminder"),
    ({"daily_reminder": {"enabled": True, "at": "24:00"}}, "daily_reminder"),
    ({"email": "not an address"}, "email"),
    ({"weekly_digest": True}, "email"),  # no address to send it to
])
def test_bad_settings_are_a_422_naming_the_field_and_change_nothing(client, register, body, field):
    _, headers = register()
    refused = problem_of(client.put("/api/users/me/notifications", json=body, headers=headers), 422)
    assert field in refused["errors"]
    assert client.get("/api/users/me/notifications", headers=headers).json == OFF


def test_the_timezone_error_says_what_a_timezone_looks_like(client, register):
    _, headers = register()
    refused = problem_of(client.put("/api/users/me/notifications", json={"timezone": "Mars/Olympus"},
                                    headers=headers), 422)
    assert "Europe/Paris" in refused["errors"]["timezone"][0]


def test_settings_need_a_login(client):
    problem_of(client.get("/api/users/me/notifications"), 401)
    problem_of(client.put("/api/users/me/notifications", json={"weekly_digest": True}), 401)
    problem_of(client.get("/api/users/me/notifications/sent"), 401)


def test_each_user_sees_and_changes_only_their_own_settings(client, register):
    _, ann = register()
    _, bob = register()
    client.put("/api/users/me/notifications", json={"email": "ann@example.org", "weekly_digest": True}, headers=ann)
    assert client.get("/api/users/me/notifications", headers=bob).json == OFF


def test_the_unsubscribe_link_turns_that_kind_off_without_a_login(client, register, app):
    user, headers = register()
    client.put("/api/users/me/notifications", json={"email": "ann@example.org", "weekly_digest": True,
                                                     "monthly_digest": True}, headers=headers)
    token = unsubscribe_token(app.extensions["progress_service.secret"], user["id"], "weekly_digest")
    page = client.get(f"/api/notifications/unsubscribe?token={token}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "no more weekly digest mails" in page.get_data(as_text=True)
    after = client.get("/api/users/me/notifications", headers=headers).json
    assert (after["weekly_digest"], after["monthly_digest"]) == (False, True)


def test_a_forged_unsubscribe_link_changes_nothing(client, register):
    user, headers = register()
    client.put("/api/users/me/notifications", json={"email": "ann@example.org", "weekly_digest": True},
               headers=headers)
    forged = unsubscribe_token("a secret that is not the one this service signs with", user["id"], "weekly_digest")
    assert "not valid" in problem_of(client.get(f"/api/notifications/unsubscribe?token={forged}"), 400)["detail"]
    assert client.get("/api/users/me/notifications", headers=headers).json["weekly_digest"] is True


def test_the_sent_list_takes_a_limit_between_1_and_100(client, register):
    _, headers = register()
    assert "limit" in problem_of(client.get("/api/users/me/notifications/sent?limit=0", headers=headers), 400)["errors"]
