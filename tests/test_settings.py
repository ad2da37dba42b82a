"""Settings: defaults, parsing and the one-line errors."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///coopnews.db"
    assert settings.announce_interval == 60 and settings.port == 3000
    assert settings.admins == frozenset() and not settings.socket_mode


def test_values_are_parsed():
    settings = load_settings(
        {
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "COOPNEWS_ADMINS": " U1, U2 ,,",
            "SLACK_APP_TOKEN": "xapp-1",
            "PORT": "8080",
        }
    )
    assert settings.api_url == "http://127.0.0.1:9/api/"
    assert settings.admins == {"U1", "U2"}
    assert settings.socket_mode and settings.port == 8080


@pytest.mark.parametrize(
    "env,needle",
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN must start with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must start"),
    ],
)
def test_missing_credentials_name_the_variable(env, needle):
    with pytest.raises(SettingsError) as caught:
        load_settings(env).require_slack(http=True)
    message = str(caught.value)
    assert needle in message and "\n" not in message and "Create the Slack app" in message


def test_socket_mode_needs_no_signing_secret():
    load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).require_slack(True)


@pytest.mark.parametrize(
    "env",
    [
        {"PORT": "eighty"},
        {"COOPNEWS_ANNOUNCE_INTERVAL": "0"},
        {"SLACK_API_URL": "slack.com"},
        # A base URL without a host would give feeds links like https:///news.
        {"COOPNEWS_PUBLIC_URL": "https://"},
        {"COOPNEWS_PUBLIC_URL": "http://[::1"},
        {"COOPNEWS_PUBLIC_URL": "https://news.example.org:99999"},
    ],
)
def test_malformed_values(env):
    with pytest.raises(SettingsError):
        load_settings(env)
