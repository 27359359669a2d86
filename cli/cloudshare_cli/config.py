"""Where the API is and who we are, from (first wins):

1. the command line: `--api-url`, `--api-key`;
2. the environment: CLOUDSHARE_API_URL, CLOUDSHARE_API_KEY (or CLOUDSHARE_EMAIL + CLOUDSHARE_PASSWORD);
3. the per-user config file written by `cloudshare login`: $CLOUDSHARE_CONFIG, else
   $XDG_CONFIG_HOME/cloudshare/config.json, else ~/.config/cloudshare/config.json (mode 0600);
4. `make dev`'s `.local/credentials.json`, found in the current directory or the nearest parent.

The URL comes from the first source that names one. Credentials come from the first source that
has some; a file's credentials are used only with the URL saved beside them, so a key for the
local stack is never sent to another server, nor a login for a server to the local stack.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

DEV_CREDENTIALS = Path(".local") / "credentials.json"


class ConfigError(Exception):
    """The configuration is missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class Profile:
    api_url: str
    api_key: str | None = None
    email: str | None = None
    password: str | None = None
    url_source: str = ""
    credentials_source: str = ""

    @property
    def uses_digest(self) -> bool:
        return self.api_key is None


@dataclass(frozen=True)
class _Layer:
    name: str
    values: Mapping[str, str | None]
    is_file: bool = False

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    @property
    def api_url(self) -> str | None:
        url = self.get("api_url")
        return url.rstrip("/") if url else None

    @property
    def credentials(self) -> dict[str, str | None] | None:
        api_key, email = self.get("api_key"), self.get("email")
        if api_key:
            return {"api_key": api_key}
        if email and self.get("password") is not None:
            return {"email": email.lower(), "password": self.values["password"]}
        return None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("CLOUDSHARE_CONFIG"):
        return Path(env["CLOUDSHARE_CONFIG"]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]).expanduser() if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "cloudshare" / "config.json"


def find_dev_credentials(start: Path) -> Path | None:
    """`make dev`'s credentials in `start` or the nearest parent that has them."""
    for folder in (start, *start.parents):
        candidate = folder / DEV_CREDENTIALS
        if candidate.is_file():
            return candidate
    return None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a JSON object")
    return data


def resolve(flags: Mapping[str, str | None], env: Mapping[str, str], cwd: Path) -> Profile:
    layers = [
        _Layer("the command line", flags),
        _Layer(
            "the environment",
            {
                "api_url": env.get("CLOUDSHARE_API_URL"),
                "api_key": env.get("CLOUDSHARE_API_KEY"),
                "email": env.get("CLOUDSHARE_EMAIL"),
                "password": env.get("CLOUDSHARE_PASSWORD"),
            },
        ),
    ]
    user_config = config_path(env)
    if user_config.is_file():
        layers.append(_Layer(str(user_config), _read_json(user_config), is_file=True))
    dev = find_dev_credentials(cwd)
    if dev is not None:
        layers.append(_Layer(str(dev), _read_json(dev), is_file=True))

    url_layer = next((layer for layer in layers if layer.api_url), None)
    if url_layer is None or url_layer.api_url is None:
        raise ConfigError(
            "no API URL: run `cloudshare login`, set CLOUDSHARE_API_URL, "
            "or run inside a checkout where `make dev` is running"
        )
    api_url = url_layer.api_url
    for layer in layers:
        if layer.credentials and not (layer.is_file and layer.api_url and layer.api_url != api_url):
            return Profile(
                api_url=api_url, **layer.credentials, url_source=url_layer.name, credentials_source=layer.name
            )
    raise ConfigError(f"no credentials for {api_url}: run `cloudshare login`, or set CLOUDSHARE_API_KEY")


def save(path: Path, data: dict[str, Any]) -> None:
    """Writes the config readable by its owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.chmod(temporary, 0o600)  # the umask cannot widen it, but an existing file's mode could
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
