"""`cloudshare`: upload, share and manage files and links from a terminal.

Where the API is and who you are (first wins): --api-url/--api-key; CLOUDSHARE_API_URL and
CLOUDSHARE_API_KEY (or CLOUDSHARE_EMAIL + CLOUDSHARE_PASSWORD); the file `cloudshare login` writes
($CLOUDSHARE_CONFIG, else ~/.config/cloudshare/config.json); `make dev`'s .local/credentials.json
in this directory or a parent.
"""

from __future__ import annotations

import json
import os
import re
import sys
import webbrowser
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import click
import requests
from rich import box
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from cloudshare_cli import __version__, config
from cloudshare_cli.client import ApiClient, ApiError, CliError
from cloudshare_cli.durations import expiry_after, human_size, iso, parse_duration, parse_moment
from cloudshare_cli.transfer import UploadOptions, UploadSource, download, file_source, stdin_source, unlock, upload

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


class CliGroup(click.Group):
    """Turns every expected failure into one `Error: …` line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (CliError, config.ConfigError) as error:
            err.print(f"[bold red]Error:[/] {error}", markup=True, highlight=False)
            ctx.exit(1)
        except KeyboardInterrupt:
            err.print("interrupted")
            ctx.exit(130)


class Session:
    """What every command needs, built on first use (so `--help` and `login` need no configuration)."""

    def __init__(self, api_url: str | None, api_key: str | None):
        self.flags = {"api_url": api_url, "api_key": api_key}
        self._client: ApiClient | None = None

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            self._client = ApiClient(config.resolve(self.flags, os.environ, Path.cwd()))
        return self._client


pass_session = click.make_pass_decorator(Session)


def _json_out(data: object) -> None:
    click.echo(json.dumps(data, indent=2))


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_duration(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    return value


_SIZE = re.compile(r"^\s*([0-9]+)\s*(?:([kmg])(?:i?b)?|b)?\s*$", re.IGNORECASE)


def _size(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    """A size in bytes, or with a binary unit: 64MiB, 512k, 1G."""
    match = _SIZE.match(value)
    if not match:
        raise click.BadParameter(f"{value!r} is not a size (e.g. 64MiB, 512k, 1G, 1000000)")
    # typeshed types int ** int as Any (a negative power is a float): the unit is named an int here
    unit: int = 1024 ** " kmg".index((match.group(2) or " ").lower())
    return int(match.group(1)) * unit


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return iso(parse_moment(value))
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


LINKS_MIN_WIDTH = 130
json_option = click.option("--json", "as_json", is_flag=True, help="Print the server's JSON instead of text.")


@click.group(cls=CliGroup, help=__doc__, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--api-url", metavar="URL", help="API base URL (default: see above).")
@click.option("--api-key", metavar="KEY", help="API key (csk_…).")
@click.version_option(__version__, prog_name="cloudshare")
@click.pass_context
def cli(ctx: click.Context, api_url: str | None, api_key: str | None) -> None:
    ctx.obj = Session(api_url, api_key)


def main() -> None:
    cli(prog_name="cloudshare")


# ---------------------------------------------------------------------------- account
@cli.command()
@click.option("--api-url", prompt="API URL", metavar="URL", help="e.g. https://share.example.com")
@click.option("--api-key", metavar="KEY", help="An API key (cloudshare-admin create-key).")
@click.option("--email", metavar="EMAIL", help="Your e-mail, for HTTP Digest instead of a key.")
@click.option("--password", metavar="PASSWORD", help="With --email; asked for (hidden) when left out.")
def login(api_url: str, api_key: str | None, email: str | None, password: str | None) -> None:
    """Check and save where the API is and who you are (mode 0600)."""
    if not api_key and not email:
        api_key = (
            click.prompt(
                "API key (leave empty to use e-mail and password)", default="", show_default=False, hide_input=True
            )
            or None
        )
        if not api_key:
            email = click.prompt("E-mail")
    if email and not api_key and password is None:
        password = click.prompt("Password", hide_input=True)
    url = api_url.rstrip("/")
    profile = (
        config.Profile(api_url=url, api_key=api_key)
        if api_key
        else config.Profile(api_url=url, email=(email or "").strip().lower(), password=password)
    )
    account = ApiClient(profile).account()  # refuses to save what does not work
    saved: dict[str, str | None] = (
        {"api_url": url, "api_key": api_key}
        if api_key
        else {"api_url": url, "email": profile.email, "password": profile.password}
    )
    path = config.config_path()
    config.save(path, saved)
    out.print(f"Logged in to {url} as {account.get('email')} (plan {account.get('plan')}); saved to {path}")


@cli.command()
def logout() -> None:
    """Forget the saved login."""
    path = config.config_path()
    if path.exists():
        path.unlink()
        out.print(f"Removed {path}")
    else:
        out.print("Not logged in")


@cli.command()
@json_option
@pass_session
def account(session: Session, as_json: bool) -> None:
    """Who you are: plan, limits and usage."""
    data = session.client.account()
    if as_json:
        return _json_out(data)
    limits, usage = data.get("limits") or {}, data.get("usage") or {}
    rows = [
        ("API", f"{session.client.base} (from {session.client.profile.url_source})"),
        ("E-mail", data.get("email")),
        ("Plan", data.get("plan")),
        ("Max upload size", human_size(data.get("max_upload_size"))),
        ("Storage", f"{human_size(usage.get('storage_used'))} of {human_size(limits.get('storage_quota'))}"),
        ("Items", usage.get("items")),
        ("Uploads left today", "unlimited" if data.get("uploads_remaining") == -1 else data.get("uploads_remaining")),
    ]
    _print_pairs(rows)


# ---------------------------------------------------------------------------- upload
def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}", justify="left"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
    )


def _label(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


@cli.command(name="upload")
@click.argument("files", nargs=-1, required=True, metavar="FILE… | -")
@click.option("--name", help="Name of the item (required for `-`; one file only).")
@click.option("--expires", metavar="DURATION", callback=_duration, help="Expire after this long: 7d, 12h, 1d12h, 2w.")
@click.option("--views", type=click.IntRange(min=1), help="Expire after this many views.")
@click.option("--password", help="Protect with a password (an artifact: the v1 API holds passwords).")
@click.option("--artifact", is_flag=True, help="Create a v1 artifact (versions, passwords).")
@click.option("--version-name", help="The artifact's version name (implies --artifact; default: the file name).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 16),
    default=3,
    show_default=True,
    help="Files sent at once, and parts of a large file sent at once.",
)
@click.option(
    "--multipart-threshold",
    metavar="SIZE",
    default="64MiB",
    show_default=True,
    callback=_size,
    help="Larger files go in parts, resumable: run the same command again after an interruption.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@json_option
@pass_session
def upload_command(
    session: Session,
    files: tuple[str, ...],
    name: str | None,
    expires: str | None,
    views: int | None,
    password: str | None,
    artifact: bool,
    version_name: str | None,
    jobs: int,
    multipart_threshold: int,
    quiet: bool,
    as_json: bool,
) -> None:
    """Upload files (or standard input, `-`) and print their share URLs, one a line, in order.

    \b
    cloudshare upload report.pdf photo.png
    pg_dump db | cloudshare upload - --name db.sql --expires 7d --views 10
    """
    if files.count("-") > 1:
        raise click.UsageError("standard input (-) can be given once")
    if name and len(files) > 1:
        raise click.UsageError("--name names one file; give one FILE")
    if "-" in files and not name:
        raise click.UsageError("standard input (-) needs --name")
    options = UploadOptions(
        artifact=artifact or bool(version_name) or bool(password),
        version_name=version_name,
        password=password,
        multipart_threshold=multipart_threshold,
        part_jobs=jobs,
    )
    client = session.client  # a configuration problem shows before standard input is read
    sources: list[UploadSource] = []
    failures: list[str] = []
    try:
        for path in files:
            sources.append(
                stdin_source(sys.stdin.buffer, name or "-") if path == "-" else file_source(Path(path), name)
            )
        results: list[dict[str, Any] | None] = [None] * len(sources)
        with _progress(quiet) as progress:
            tasks = [progress.add_task(_label(source.name), total=source.size, visible=not quiet) for source in sources]

            def send(index: int) -> None:
                source, task = sources[index], tasks[index]
                try:
                    item = upload(client, source, options, lambda sent: progress.update(task, completed=sent))
                    results[index] = _apply_expiry(client, item, expires, views)
                except CliError as error:
                    failures.append(f"{source.name}: {error}")
                    progress.update(task, description=f"[red]{_label(source.name)} ✗")

            with ThreadPoolExecutor(max_workers=jobs) as pool:
                list(pool.map(send, range(len(sources))))
    finally:
        for source in sources:
            source.discard()
    done = [item for item in results if item is not None]
    if as_json and len(files) == 1:
        if done:
            _json_out(done[0])
    elif as_json:
        _json_out(done)
    else:
        for item in done:
            click.echo(item.get("share_url"))
    if failures:
        raise CliError(
            "\n".join(failures)
            if len(failures) == 1
            else f"{len(failures)} of {len(sources)} uploads failed:\n  " + "\n  ".join(failures)
        )


def _apply_expiry(client: ApiClient, item: dict[str, Any], expires: str | None, views: int | None) -> dict[str, Any]:
    if expires is None and views is None:
        return item
    expires_at = expiry_after(expires) if expires else None
    try:
        item["expiration"] = client.set_expiration(item["slug"], expires_at, views)
    except CliError as error:
        raise CliError(f"uploaded as {item.get('share_url')}, but setting its expiration failed: {error}") from None
    return item


@cli.command()
@click.argument("url")
@click.option("--name", help="A name for the bookmark (default: the URL).")
@json_option
@pass_session
def bookmark(session: Session, url: str, name: str | None, as_json: bool) -> None:
    """Shorten a link: create a bookmark item and print its share URL."""
    item = session.client.bookmark(url, name)
    _json_out(item) if as_json else click.echo(item.get("share_url"))


# ---------------------------------------------------------------------------- browsing
@cli.command(name="list")
@click.option("--per-page", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option(
    "--page",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Which page (the server's next links are followed to reach it).",
)
@click.option("--all", "every_page", is_flag=True, help="Every page.")
@json_option
@pass_session
def list_command(session: Session, per_page: int, page: int, every_page: bool, as_json: bool) -> None:
    """Your items, newest first."""
    items: list[dict[str, Any]] = []
    has_more = False
    for number, current in enumerate(session.client.iter_pages(per_page), start=1):
        if every_page or number == page:
            items.extend(current.get("data") or [])
        has_more = bool((current.get("links") or {}).get("next_url")) and bool(current.get("data"))
        if not every_page and number >= page:
            break
    if as_json:
        return _json_out(items)
    if not items:
        out.print("No items." if page == 1 else f"No items on page {page}.")
        return
    # A share URL is only useful whole (to copy it): shown when the terminal has room for it.
    with_links = out.width >= LINKS_MIN_WIDTH
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Slug", no_wrap=True)
    table.add_column("Name", overflow="fold", ratio=1)
    for title in ("Type", "Size", "Views", "Created") + (("Share URL",) if with_links else ()):
        table.add_column(title, no_wrap=True, justify="right" if title in ("Size", "Views") else "left")
    for item in items:
        row = [
            item.get("slug"),
            item.get("name"),
            item.get("item_type"),
            human_size(item.get("file_size")) if item.get("item_type") != "bookmark" else "-",
            str(item.get("view_counter", 0)),
            (item.get("created_at") or "").replace("T", " ")[:16],
        ]
        table.add_row(*row, *([item.get("share_url")] if with_links else []))
    out.print(table)
    if has_more and not every_page:
        err.print(f"More: cloudshare list --page {page + 1}" + (f" --per-page {per_page}" if per_page != 20 else ""))


@cli.command()
@click.argument("slug")
@json_option
@pass_session
def info(session: Session, slug: str, as_json: bool) -> None:
    """Everything about one item."""
    item = session.client.item(slug)
    if as_json:
        return _json_out(item)
    _print_pairs([(key, value) for key, value in item.items() if value not in (None, "")])


def _print_pairs(rows: Iterable[tuple[object, object]]) -> None:
    table = Table(show_header=False, show_edge=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(str(key), json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value))
    out.print(table)


@cli.command(name="open")
@click.argument("slug")
@pass_session
def open_command(session: Session, slug: str) -> None:
    """Open an item's share page in the web browser."""
    url = str(session.client.item(slug).get("share_url"))
    click.echo(url)
    if not webbrowser.open(url):
        err.print("No web browser found; the URL is above.")


@cli.command(name="download")
@click.argument("slug")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, allow_dash=True),
    help="File or folder to write (`-` = standard output; default: the item's name here).",
)
@click.option("-f", "--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--public",
    is_flag=True,
    help="Fetch the link as anyone would: without your API key, so it counts a download and a "
    "password-protected item needs --password.",
)
@click.option("--password", help="The item's password (only needed with --public or HTTP Digest logins).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@pass_session
def download_command(
    session: Session, slug: str, output: Path | None, force: bool, public: bool, password: str | None, quiet: bool
) -> None:
    """Download an item's file through its download link (as its owner: no download is counted)."""
    client = session.client
    item = client.item(slug)
    url = item.get("remote_url")
    if not url:
        raise CliError(f"{slug} is a {item.get('item_type', 'bookmark')}; it has no file to download")
    name = Path(item.get("name") or slug).name
    destination = None if str(output) == "-" else (output or Path(name))
    if destination is not None and destination.is_dir():
        destination = destination / name
    if destination is not None and destination.exists() and not force:
        raise CliError(f"{destination} exists; use --force to overwrite it, or -o to choose another name")
    # The owner's API key is recognised on the public link; anyone else (and --public) goes without.
    http = requests.Session() if public or not client.is_own(url) else client.session()
    if password:
        unlock(http, item["share_url"], password)
    with _progress(quiet) as progress:
        task = progress.add_task(_label(name), total=item.get("file_size"), visible=False)  # until bytes flow
        try:
            written = download(
                http,
                url,
                destination,
                lambda got, total: progress.update(task, completed=got, total=total, visible=not quiet),
            )
        except ApiError as error:
            if password is None and "password" in error.message.lower():
                raise CliError(f"{error.message} Give it with --password.") from None
            raise
    if written is not None:
        err.print(f"Saved {written} ({human_size(written.stat().st_size)})")


# ---------------------------------------------------------------------------- changing
@cli.command()
@click.argument("slug")
@click.argument("name")
@json_option
@pass_session
def rename(session: Session, slug: str, name: str, as_json: bool) -> None:
    """Give an item a new name."""
    item = session.client.update(slug, name=name)
    _json_out(item) if as_json else out.print(f"Renamed {slug} to {item.get('name', name)}")


@cli.command()
@click.argument("slug")
@pass_session
def delete(session: Session, slug: str) -> None:
    """Delete an item (restorable for the retention period)."""
    session.client.delete(slug)
    out.print(f"Deleted {slug} (undo: cloudshare restore {slug})")


@cli.command()
@click.argument("slug")
@pass_session
def restore(session: Session, slug: str) -> None:
    """Bring back a deleted item."""
    session.client.restore(slug)
    out.print(f"Restored {slug}")


@cli.command()
@click.argument("slug")
@click.option("--off", is_flag=True, help="Remove it from favorites.")
@pass_session
def favorite(session: Session, slug: str, off: bool) -> None:
    """Mark an item as a favorite (or not, with --off)."""
    state = session.client.set_favorite(slug, not off).get("favorite", not off)
    out.print(f"{slug} is {'a favorite' if state else 'not a favorite'}")


@cli.command()
@click.argument("slug")
@click.option("--at", "at", metavar="ISO", callback=_moment, help="Expire at this time (2030-01-31T18:00:00Z).")
@click.option("--in", "within", metavar="DURATION", callback=_duration, help="Expire after this long: 7d, 12h.")
@click.option("--views", type=click.IntRange(min=1), help="Expire after this many views.")
@click.option("--clear", is_flag=True, help="Remove every expiration setting.")
@json_option
@pass_session
def expire(
    session: Session, slug: str, at: str | None, within: str | None, views: int | None, clear: bool, as_json: bool
) -> None:
    """Show or set when an item stops being shared (a time, a number of views, or both)."""
    if at and within:
        raise click.UsageError("give --at or --in, not both")
    if clear and (at or within or views):
        raise click.UsageError("--clear takes no other option")
    client = session.client
    if clear:
        client.clear_expiration(slug)
        return _json_out({}) if as_json else out.print(f"{slug} no longer expires")
    if at or within or views:
        settings = client.set_expiration(slug, at or (expiry_after(within) if within else None), views)
    else:
        settings = client.expiration(slug)
    if as_json:
        return _json_out(settings)
    when, count = settings.get("expires_at"), settings.get("expires_after_views")
    parts = ([f"at {when}"] if when else []) + ([f"after {count} views"] if count else [])
    out.print(f"{slug} expires {' or '.join(parts)}" if parts else f"{slug} does not expire")


@cli.command()
@click.argument("slug")
@click.option("--to", "recipients", multiple=True, required=True, metavar="EMAIL", help="A recipient (repeatable).")
@click.option("--message", help="A note added to the e-mail.")
@pass_session
def share(session: Session, slug: str, recipients: tuple[str, ...], message: str | None) -> None:
    """E-mail a link to an item."""
    answer = session.client.share(slug, list(recipients), message)
    out.print(f"Sent {slug} to {', '.join(answer.get('recipients') or recipients)}")


if __name__ == "__main__":
    main()
