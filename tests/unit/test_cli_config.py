"""The `cloudshare` CLI's configuration: which source wins, where files are, and how they are written."""

import json
import stat

import pytest
from click.testing import CliRunner

from cloudshare_cli import config
from cloudshare_cli.main import cli
from tests.unit.cli_support import _bare_moto, aws  # noqa: F401  (no moto table per test: see there)

LOCAL_URL = "http://127.0.0.1:3000"
SAVED_URL = "https://share.example.com"


@pytest.fixture
def home(tmp_path):
    """A user config file (login to SAVED_URL) and a checkout running `make dev` (LOCAL_URL)."""
    user_config = tmp_path / "home" / "config.json"
    config.save(user_config, {"api_url": SAVED_URL, "api_key": "csk_saved"})
    checkout = tmp_path / "checkout"
    (checkout / ".local").mkdir(parents=True)
    (checkout / ".local" / "credentials.json").write_text(
        json.dumps({"api_url": LOCAL_URL, "api_key": "csk_local", "email": "demo@cloudshare.local", "password": "pw"})
    )
    (checkout / "src" / "deep").mkdir(parents=True)
    return {"config": user_config, "checkout": checkout, "env": {"CLOUDSHARE_CONFIG": str(user_config)}}


def test_given_only_a_dev_checkout_when_resolving_from_a_subfolder_then_make_devs_credentials_are_used(tmp_path, home):
    home["config"].unlink()
    profile = config.resolve({}, home["env"], home["checkout"] / "src" / "deep")
    assert (profile.api_url, profile.api_key) == (LOCAL_URL, "csk_local")
    assert profile.credentials_source.endswith(".local/credentials.json")


def test_given_a_saved_login_and_a_dev_checkout_when_resolving_then_the_saved_login_wins(home):
    profile = config.resolve({}, home["env"], home["checkout"])
    assert (profile.api_url, profile.api_key) == (SAVED_URL, "csk_saved")


def test_given_environment_variables_when_resolving_then_they_beat_every_file(home):
    env = home["env"] | {"CLOUDSHARE_API_URL": "https://env.example.com/", "CLOUDSHARE_API_KEY": "csk_env"}
    profile = config.resolve({}, env, home["checkout"])
    assert (profile.api_url, profile.api_key) == ("https://env.example.com", "csk_env")


def test_given_flags_when_resolving_then_they_beat_the_environment(home):
    env = home["env"] | {"CLOUDSHARE_API_URL": "https://env.example.com", "CLOUDSHARE_API_KEY": "csk_env"}
    profile = config.resolve({"api_url": "https://flag.example.com", "api_key": "csk_flag"}, env, home["checkout"])
    assert (profile.api_url, profile.api_key) == ("https://flag.example.com", "csk_flag")


def test_given_only_an_env_url_when_resolving_then_a_files_key_for_another_server_is_never_sent_there(home):
    env = home["env"] | {"CLOUDSHARE_API_URL": "https://elsewhere.example.com"}
    with pytest.raises(config.ConfigError, match="no credentials for https://elsewhere.example.com"):
        config.resolve({}, env, home["checkout"])


def test_given_an_env_url_naming_the_dev_stack_when_resolving_then_the_dev_key_goes_with_it(home):
    env = home["env"] | {"CLOUDSHARE_API_URL": LOCAL_URL + "/"}
    profile = config.resolve({}, env, home["checkout"])
    assert (profile.api_url, profile.api_key, profile.url_source) == (LOCAL_URL, "csk_local", "the environment")


def test_given_an_env_key_without_url_when_resolving_then_the_saved_url_is_used_with_that_key(home):
    profile = config.resolve({}, home["env"] | {"CLOUDSHARE_API_KEY": "csk_env"}, home["checkout"])
    assert (profile.api_url, profile.api_key) == (SAVED_URL, "csk_env")


def test_given_a_saved_email_and_password_when_resolving_then_digest_is_used(tmp_path):
    path = tmp_path / "c.json"
    config.save(path, {"api_url": SAVED_URL, "email": "Arthur@Dent.com", "password": "towel"})
    profile = config.resolve({}, {"CLOUDSHARE_CONFIG": str(path)}, tmp_path)
    assert profile.uses_digest and (profile.email, profile.password) == ("arthur@dent.com", "towel")


def test_given_nothing_configured_when_resolving_then_the_error_says_to_log_in(tmp_path):
    with pytest.raises(config.ConfigError, match="cloudshare login"):
        config.resolve({}, {"CLOUDSHARE_CONFIG": str(tmp_path / "none.json")}, tmp_path)


def test_given_a_broken_config_file_when_resolving_then_the_error_names_the_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{not json")
    with pytest.raises(config.ConfigError, match=str(path)):
        config.resolve({}, {"CLOUDSHARE_CONFIG": str(path)}, tmp_path)


def test_given_xdg_config_home_when_locating_the_config_then_it_is_under_it(tmp_path):
    assert config.config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "cloudshare" / "config.json"
    assert config.config_path({"CLOUDSHARE_CONFIG": "/x/y.json", "XDG_CONFIG_HOME": str(tmp_path)}) == config.Path(
        "/x/y.json"
    )


def test_given_a_world_readable_file_when_saving_over_it_then_it_becomes_owner_only(tmp_path):
    path = tmp_path / "dir" / "config.json"
    path.parent.mkdir()
    path.write_text("{}")
    path.chmod(0o644)
    config.save(path, {"api_url": SAVED_URL, "api_key": "csk_secret"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["api_key"] == "csk_secret"
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]  # no temporary file left


def test_given_an_api_nobody_answers_when_a_command_runs_then_it_exits_1_saying_it_cannot_reach_it(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["account"],
        env={
            "CLOUDSHARE_API_URL": "http://127.0.0.1:9",
            "CLOUDSHARE_API_KEY": "csk_x",
            "CLOUDSHARE_CONFIG": str(tmp_path / "none.json"),
        },
    )
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9" in result.output


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_given_any_command_when_asked_for_help_then_it_explains_itself_without_configuration(command, tmp_path):
    result = CliRunner().invoke(cli, [command, "--help"], env={"CLOUDSHARE_CONFIG": str(tmp_path / "none.json")})
    assert result.exit_code == 0 and f"Usage: cli {command}" in result.output
