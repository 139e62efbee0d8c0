"""The public-deploy settings in .streamlit/config.toml (see docs/deploy.md for the why)."""

import tomllib
from pathlib import Path

import pytest

CONFIG_PATH = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"

DEPLOY_SETTINGS = [
    ("server", "headless", True),
    ("server", "runOnSave", False),
    ("server", "fileWatcherType", "none"),
    ("server", "enableXsrfProtection", True),
    ("server", "maxUploadSize", 50),
    ("runner", "postScriptGC", False),
    ("runner", "magicEnabled", False),
    ("client", "showErrorDetails", "none"),
    ("client", "toolbarMode", "viewer"),
    ("browser", "gatherUsageStats", False),
]


@pytest.fixture(scope="module")
def config() -> dict:
    with CONFIG_PATH.open("rb") as f:
        return tomllib.load(f)


@pytest.mark.parametrize(("section", "option", "expected"), DEPLOY_SETTINGS)
def test_deploy_setting(config, section, option, expected):
    value = config.get(section, {}).get(option)
    # `type` too: TOML's `true` must not pass for 1, nor the string "true" for True.
    assert (type(value), value) == (type(expected), expected), f"{section}.{option}"


def test_streamlit_knows_every_option(config):
    """A misspelt option name would be ignored by Streamlit, so check the names against it."""
    from streamlit import config as st_config

    known = st_config.get_config_options()
    unknown = [
        f"{section}.{option}"
        for section, options in config.items()
        for option in options
        if f"{section}.{option}" not in known
    ]
    assert unknown == []
    assert config["client"]["showErrorDetails"] in {
        o.value for o in st_config.ShowErrorDetailsConfigOptions
    }
