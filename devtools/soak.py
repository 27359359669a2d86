"""`make soak`: a long session against a fresh local stack, and what must hold at its end.

N clients (one account each) for a while, each doing a mix of what users do: uploads through the
presigned POST (bytes verified on download), bookmarks, listings, share-page views, renames,
deletes, and looks at another client's item. At the end, and exit status 1 unless all hold:

- no 5xx, and every answer true (an upload that answered is there with its bytes; a deleted item
  is gone; a listing shows only the client's own live items; another's item is a 404);
- check-consistency is clean (counters vs items vs objects);
- the stack's memory (PSS of the stack and its worker processes) is flat: after warm-up it never
  exceeds the level at the end of warm-up by more than 20%;
- every log line that names a request (correlation_id = the x-amzn-RequestId it answered with)
  names that request's function and user; the log has no "dictionary changed size" and no
  "Connection pool is full".

    python -m devtools.soak [--clients 16] [--seconds 600]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import patch

import requests

from cloudshare_admin.consistency import check
from devtools.stack import start_stack, stop_stack
from devtools.template import http_routes

FORBIDDEN_IN_LOG = ("dictionary changed size during iteration", "Connection pool is full")
MEMORY_GROWTH = 0.20
LIVE_ITEMS = 12  # per client; beyond it the client deletes, so the data stays bounded as in a real account


@dataclass
class Client:
    number: int
    user_id: str
    api_key: str
    live: dict[str, dict] = field(default_factory=dict)  # slug -> the item as last answered


@dataclass
class Results:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    wrong_answers: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    answered: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # request id -> (method, path, user)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, client: Client, operation: str, response: requests.Response, seconds: float) -> None:
        path = requests.utils.urlparse(response.request.url).path
        with self.lock:
            self.requests += 1
            self.latencies[operation].append(seconds)
            if response.status_code >= 500:
                self.server_errors.append(
                    f"{response.request.method} {path}: {response.status_code} {response.text[:200]}"
                )
            if request_id := response.headers.get("x-amzn-RequestId"):
                self.answered[request_id] = (response.request.method, path, client.user_id)

    def wrong(self, client: Client, message: str) -> None:
        with self.lock:
            self.wrong_answers.append(f"client {client.number}: {message}")


class Workload:
    def __init__(self, api_url: str, results: Results, clients: int, seconds: float):
        self.api_url, self.results, self.seconds = api_url, results, seconds
        self.all_slugs: list[tuple[int, str]] = []  # (client, slug): for looks at another's item
        self.started = self.deadline = 0.0  # the timed session: once every client has done each kind of request
        self._all_warm = threading.Barrier(clients, action=self._start_session)

    def _start_session(self) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + self.seconds

    def run(self, client: Client) -> None:
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {client.api_key}", "Accept": "application/json"})
        rng = random.Random(client.number)
        # Each kind of request once before the timed session, so that every function of the workload
        # has started before memory is judged.
        for operation in (self.upload, self.bookmark, self.listing, self.view, self.rename, self.peek, self.delete):
            self._do(operation, client, session, rng)
        self._all_warm.wait()
        operations = (
            [self.upload] * 3
            + [self.bookmark] * 2
            + [self.listing] * 3
            + [self.view] * 2
            + [self.rename] * 2
            + [self.peek]
        )
        while time.monotonic() < self.deadline:
            operation = self.delete if len(client.live) > LIVE_ITEMS else rng.choice(operations)
            self._do(operation, client, session, rng)

    def _do(self, operation, client: Client, session: requests.Session, rng: random.Random) -> None:
        try:
            operation(client, session, rng)
        except Exception as error:  # an answer the client could not use (a timeout, a body without its fields)
            self.results.wrong(client, f"{operation.__name__}: {type(error).__name__}: {error}")

    def _call(
        self, client: Client, session: requests.Session, operation: str, method: str, url: str, **kwargs
    ) -> requests.Response:
        started = time.monotonic()
        response = session.request(method, url, timeout=60, **kwargs)
        self.results.record(client, operation, response, time.monotonic() - started)
        return response

    def upload(self, client: Client, session: requests.Session, rng: random.Random) -> None:
        data = rng.randbytes(rng.randint(1, 32_000))
        name = f"file-{rng.getrandbits(32):08x}.bin"
        ticket = self._call(
            client, session, "upload", "POST", f"{self.api_url}/v3/items", json={"name": name, "file_size": len(data)}
        )
        if ticket.status_code != 200:
            return self.results.wrong(client, f"upload request: {ticket.status_code} {ticket.text[:200]}")
        ticket = ticket.json()
        posted = requests.post(
            ticket["url"], data=ticket["s3"], files={"file": (name, data)}, allow_redirects=False, timeout=60
        )
        if posted.status_code != 303:
            return self.results.wrong(client, f"S3 POST: {posted.status_code} {posted.text[:200]}")
        settled = self._call(client, session, "upload", "GET", posted.headers["Location"])
        item = settled.json() if settled.status_code == 200 else {}
        if (item.get("upload_state"), item.get("file_size")) != ("ready", len(data)):
            return self.results.wrong(client, f"upload {ticket['slug']}: {settled.status_code} {settled.text[:200]}")
        downloaded = requests.get(item["remote_url"], timeout=60)
        if downloaded.content != data:
            return self.results.wrong(client, f"upload {ticket['slug']}: other bytes on download")
        self._keep(client, item)

    def bookmark(self, client: Client, session: requests.Session, rng: random.Random) -> None:
        url = f"https://example.com/{rng.getrandbits(48):012x}"
        created = self._call(
            client, session, "bookmark", "POST", f"{self.api_url}/v3/items", json={"bookmark_url": url}
        )
        if created.status_code != 200 or created.json().get("redirect_url") != url:
            return self.results.wrong(client, f"bookmark: {created.status_code} {created.text[:200]}")
        self._keep(client, created.json())

    def listing(self, client: Client, session: requests.Session, rng: random.Random) -> None:
        listed = self._call(client, session, "list", "GET", f"{self.api_url}/v3/items", params={"per_page": 5})
        if listed.status_code != 200:
            return self.results.wrong(client, f"list: {listed.status_code} {listed.text[:200]}")
        strangers = [entry["slug"] for entry in listed.json()["data"] if entry["slug"] not in client.live]
        if strangers:  # only this client changes its items, so its view of them is exact
            self.results.wrong(client, f"list shows items that are not its live ones: {strangers}")

    def view(self, client: Client, session: requests.Session, rng: random.Random) -> None:
        if not client.live:
            return
        slug, item = rng.choice(list(client.live.items()))
        page = self._call(
            client,
            requests,
            "view",
            "GET",
            item["share_url"],  # anyone's view: no credentials
            headers={"Accept": "application/json"},
        )
        if page.status_code != 200 or page.json().get("slug") != slug:
            self.results.wrong(client, f"view {slug}: {page.status_code} {page.text[:200]}")

    def rename(self, client: Client, session: requests.Session, rng: random.Random) -> None:
        if not client.live:
            return
        slug = rng.choice(list(client.live))
        name = f"renamed-{rng.getrandbits(32):08x}"
        renamed = self._call(client, session, "change", "PUT", f"{self.api_url}/v3/items/{slug}", json={"name": name})
        shown = self._call(client, session, "get", "GET", f"{self.api_url}/v3/items/{slug}")
        if renamed.status_code != 200 or shown.status_code != 200 or shown.json().get("name") != name:
            self.results.wrong(
                client, f"rename {slug}: {renamed.status_code} then {shown.status_code} {shown.text[:200]}"
            )

    def delete(self, client: Client, session: requests.Session, rng: random.Random) -> None:
        if not client.live:
            return
        slug = rng.choice(list(client.live))
        deleted = self._call(client, session, "change", "DELETE", f"{self.api_url}/v3/items/{slug}")
        gone = self._call(client, session, "get", "GET", f"{self.api_url}/v3/items/{slug}")
        if deleted.status_code != 204 or gone.status_code != 404:
            self.results.wrong(client, f"delete {slug}: {deleted.status_code} then {gone.status_code}")
        client.live.pop(slug, None)

    def peek(self, client: Client, session: requests.Session, rng: random.Random) -> None:
        """Another client's item, by its slug: the owner alone may see it (a 404, and a log line)."""
        others = [slug for owner, slug in self.all_slugs[-200:] if owner != client.number]
        if not others:
            return
        slug = rng.choice(others)
        seen = self._call(client, session, "get", "GET", f"{self.api_url}/v3/items/{slug}")
        if seen.status_code != 404:
            self.results.wrong(client, f"another's item {slug}: {seen.status_code}")

    def _keep(self, client: Client, item: dict) -> None:
        client.live[item["slug"]] = item
        self.all_slugs.append((client.number, item["slug"]))


def tree_memory(pid: int) -> int:
    """Bytes of memory of a process and all its descendants (Linux /proc): the sum of their PSS,
    which counts the pages that forked workers share with the fork server once, not per worker."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[parent].append(int(entry.name))
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        pending += children.get(current, [])
        try:
            rollup = (Path("/proc") / str(current) / "smaps_rollup").read_text()
        except OSError:
            continue  # it ended meanwhile
        total += next(int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:"))
    return total


def sample_memory(pid: int, stop: threading.Event, samples: list[tuple[float, int]], every: float) -> None:
    while not stop.is_set():
        samples.append((time.monotonic(), tree_memory(pid)))
        stop.wait(every)


def route_functions() -> list[tuple[str, re.Pattern, str]]:
    """(method, path pattern, function) for the template's API routes, the most specific first, as
    API Gateway matches them (literal segments before {parameters}, the {proxy+} catch-all last)."""
    found = []
    for name, method, path, _ in http_routes():
        pattern = re.sub(r"\{[^}]+\+\}", ".+", re.sub(r"\{[^}+]+\}", "[^/]+", path))
        found.append((method, re.compile(f"^{pattern}$"), name))
    return sorted(found, key=lambda route: (".+" in route[1].pattern, route[1].pattern.count("[^/]+")))


def function_of(routes, method: str, path: str) -> str | None:
    return next((name for verb, pattern, name in routes if verb in (method, "ANY") and pattern.match(path)), None)


def check_log(log: str, answered: dict[str, tuple[str, str, str]]) -> tuple[int, list[str]]:
    """Each JSON log line naming an answered request must name its function and its user."""
    routes, checked, wrong = route_functions(), 0, []
    for line in log.splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        request = answered.get(record.get("correlation_id"))
        if request is None:
            continue
        method, path, user_id = request
        checked += 1
        expected = function_of(routes, method, path)
        if record.get("function_name") != expected or record.get("user_id", user_id) != user_id:
            wrong.append(
                f"{method} {path} (function {expected}, user {user_id}) logged as "
                f"function {record.get('function_name')}, user {record.get('user_id')}"
            )
    return checked, wrong


@contextmanager
def pointed_at(stack_file: Path):
    """Within the block, cloudshare's code in this process (accounts, the consistency check) works
    on the stack's table and bucket; the environment and cached clients are restored after."""
    from cloudshare.config import settings
    from cloudshare.store.aws import client

    stack = json.loads(stack_file.read_text())
    environment = {
        "AWS_ENDPOINT_URL": stack["aws_endpoint"],
        "AWS_DEFAULT_REGION": stack["region"],
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "TABLE_NAME": stack["table_name"],
        "BUCKET_NAME": stack["bucket_name"],
    }
    with patch.dict(os.environ, environment):
        settings.cache_clear()
        client.cache_clear()
        try:
            yield stack
        finally:
            settings.cache_clear()
            client.cache_clear()


def create_clients(count: int) -> list[Client]:
    from cloudshare.services import accounts

    clients = []
    for number in range(count):
        user = accounts.create_user(f"soak{number}@cloudshare.local", f"soak-password-{number}", "pro_max")
        _, key = accounts.create_api_key(user.email, label="soak")
        clients.append(Client(number, user.user_id, key))
    return clients


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def soak(clients: int, seconds: float, warmup: float, state_dir: Path, stack_options: list[str]) -> dict:
    process, credentials = start_stack(state_dir, *stack_options)
    began = time.monotonic()
    stop_sampling, samples = threading.Event(), []
    try:
        with pointed_at(state_dir / "stack.json") as stack:
            accounts = create_clients(clients)
            sampler = threading.Thread(
                target=sample_memory, args=(process.pid, stop_sampling, samples, max(1.0, seconds / 120)), daemon=True
            )
            sampler.start()
            results = Results()
            workload = Workload(credentials["api_url"], results, clients, seconds)
            threads = [threading.Thread(target=workload.run, args=(client,)) for client in accounts]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            stop_sampling.set()
            sampler.join()
            consistency = check(stack["table_name"], stack["bucket_name"])
    finally:
        stop_sampling.set()
        try:
            stopped = stop_stack(process) == 0
        except subprocess.TimeoutExpired:
            stopped = False
    log = (state_dir / "stack.log").read_text()
    checked, misattributed = check_log(log, results.answered)
    after = [rss for at, rss in samples if at >= workload.started + warmup]
    baseline = after[0] if after else 0
    growth = (max(after) - baseline) / baseline if baseline else 0.0
    report = {
        "clients": clients,
        "seconds": seconds,
        "warm_up_seconds": round(workload.started - began + warmup),
        "requests": results.requests,
        "requests_per_second": round(results.requests / (time.monotonic() - began), 1),
        "latency_ms": {
            name: {
                "count": len(values),
                "p50": round(percentile(values, 0.5) * 1000),
                "p95": round(percentile(values, 0.95) * 1000),
            }
            for name, values in sorted(results.latencies.items())
        },
        "server_errors": results.server_errors[:20],
        "server_error_count": len(results.server_errors),
        "wrong_answers": results.wrong_answers[:20],
        "wrong_answer_count": len(results.wrong_answers),
        "consistency": consistency.summary(),
        "memory_mb": {
            "first": round(samples[0][1] / 2**20) if samples else None,
            "after_warmup": round(baseline / 2**20),
            "max_after_warmup": round(max(after, default=0) / 2**20),
            "last": round(samples[-1][1] / 2**20) if samples else None,
            "growth": round(growth, 3),
        },
        "log_lines_checked": checked,
        "log_lines_misattributed": misattributed[:20],
        "log_forbidden": {text: log.count(text) for text in FORBIDDEN_IN_LOG},
        "stack_stopped_cleanly": stopped,
    }
    report["passed"] = (
        not results.server_errors
        and not results.wrong_answers
        and consistency.consistent
        and growth <= MEMORY_GROWTH
        and checked > 0
        and not misattributed
        and not any(report["log_forbidden"].values())
        and stopped
    )
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="make soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--seconds",
        type=float,
        default=600,
        help="of the timed session, after each client has done every kind of request once",
    )
    parser.add_argument(
        "--warmup", type=float, help="seconds into the session before memory must stay flat (default: a quarter)"
    )
    parser.add_argument("--state-dir", type=Path, help="keeps the stack's state and log there (default: a temp dir)")
    options, stack_options = parser.parse_known_args(argv)
    warmup = options.seconds / 4 if options.warmup is None else options.warmup
    with tempfile.TemporaryDirectory(prefix="cloudshare-soak-") as temporary:
        state_dir = options.state_dir or Path(temporary)
        state_dir.mkdir(parents=True, exist_ok=True)
        report = soak(options.clients, options.seconds, warmup, state_dir, stack_options)
    print(json.dumps(report, indent=2))
    sys.exit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
