"""How fast credentials may be guessed: backoff per target (an account, a protected item) and per
source address, counted in the table (store/throttles.py) — never a throttle shared by all clients.

- A subject may fail free_failures() times (the template's FailuresBeforeBackoff, 5 by default)
  within the current and the previous one-hour window without delay; each further failure holds
  it back 1, 2, 4, … seconds (doubling), at most SOURCE_CAP_SECONDS for a source and TARGET_CAP_SECONDS for a target.
- A target's backoff holds a source with no failures of its own for at most CLEAN_SOURCE_SECONDS
  after the target's last failure, so an attacker elsewhere cannot lock the owner out.
- An attempt while held is refused unchecked and uncounted (429 + Retry-After).
- The counters are read in the same request as the credential, and a success writes nothing — as
  long as its subjects are below free_failures(). Past that, each attempt first claims the subject's
  turn with a conditional write (DynamoDB lets one of concurrent attempts through, so a burst cannot
  outrun the count), and a success gives the turn back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cloudshare.config import settings
from cloudshare.errors import TooManyAttempts
from cloudshare.services import clock
from cloudshare.store import throttles

if TYPE_CHECKING:
    from typing import Any

WINDOW_SECONDS = 60 * 60
SOURCE_CAP_SECONDS = 15 * 60
TARGET_CAP_SECONDS = 60
CLEAN_SOURCE_SECONDS = 5


def free_failures() -> int:
    """Failures a subject may have in the current and previous window before it is held back."""
    return settings().failures_before_backoff


@dataclass(frozen=True)
class Subject:
    kind: str  # "account" or "item" (targets), "source" (a client address)
    value: str

    @property
    def id(self) -> str:
        return f"{self.kind}#{hashlib.sha256(self.value.encode()).hexdigest()[:32]}"

    @property
    def cap(self) -> int:
        return SOURCE_CAP_SECONDS if self.kind == "source" else TARGET_CAP_SECONDS


def backoff(failures: int, cap: int) -> int:
    """Seconds a subject is held after its `failures`-th failure."""
    beyond = failures - free_failures()
    return 0 if beyond <= 0 else min(2 ** min(beyond - 1, 30), cap)


@dataclass
class Attempt:
    """One try of a credential against a target, from a source."""

    target: Subject | None  # None: nothing worth guessing per target (API keys carry 256 random bits)
    source: Subject
    now: int
    counters: dict[tuple[str, int], throttles.Counter]
    _claims: list[tuple[Subject, str, int]] = field(default_factory=list)

    @property
    def window(self) -> int:
        return self.now // WINDOW_SECONDS

    @property
    def _expires_at(self) -> int:
        return (self.window + 2) * WINDOW_SECONDS + SOURCE_CAP_SECONDS

    def _subjects(self) -> list[Subject]:
        return [subject for subject in (self.target, self.source) if subject is not None]

    def _counter(self, subject: Subject) -> throttles.Counter:
        current, previous = (
            self.counters.get((subject.id, self.window - back), throttles.Counter()) for back in (0, 1)
        )
        return throttles.Counter(
            current.failures + previous.failures,
            max(current.until, previous.until),
            max(current.clean_until, previous.clean_until),
        )

    def _lane(self, subject: Subject) -> str:
        """Which of the subject's times holds this attempt back."""
        clean = subject is self.target and self._counter(self.source).failures == 0
        return throttles.CLEAN_UNTIL if clean else throttles.UNTIL

    def _held_until(self, subject: Subject) -> int:
        counter = self._counter(subject)
        return counter.clean_until if self._lane(subject) == throttles.CLEAN_UNTIL else counter.until

    def admit(self) -> None:
        """Raises TooManyAttempts while a subject is held; past free_failures(), claims each turn."""
        held_until = max(self._held_until(subject) for subject in self._subjects())
        if held_until > self.now:
            raise TooManyAttempts(held_until - self.now)
        for subject in self._subjects():
            failures = self._counter(subject).failures
            if failures < free_failures():
                continue
            lane = self._lane(subject)
            turn = CLEAN_SOURCE_SECONDS if lane == throttles.CLEAN_UNTIL else backoff(failures + 1, subject.cap)
            until = self.now + turn
            taken = throttles.claim(subject.id, self.window, lane, until, self.now, self._expires_at)
            if taken is not None:
                self.succeeded()  # give back the turns already claimed
                raise TooManyAttempts(max(taken - self.now, 1))
            self._claims.append((subject, lane, until))

    def failed(self) -> None:
        """Counts a wrong guess against every subject and holds each back as its count says."""
        for subject in self._subjects():
            previous = self.counters.get((subject.id, self.window - 1), throttles.Counter()).failures
            failures = previous + throttles.add_failure(subject.id, self.window, self._expires_at)
            delay = backoff(failures, subject.cap)
            if not delay:
                continue
            throttles.hold(subject.id, self.window, throttles.UNTIL, self.now + delay, self._expires_at)
            if subject is self.target:
                throttles.hold(
                    subject.id,
                    self.window,
                    throttles.CLEAN_UNTIL,
                    self.now + min(delay, CLEAN_SOURCE_SECONDS),
                    self._expires_at,
                )
        self._claims.clear()

    def succeeded(self) -> None:
        for subject, lane, until in self._claims:
            throttles.give_back(subject.id, self.window, lane, until, self.now)
        self._claims.clear()


def begin(
    target: Subject | None, source: Subject, with_key: dict[str, Any] | None = None
) -> tuple[dict[str, Any] | None, Attempt]:
    """Reads the subjects' counters, and the credential's record at `with_key` in the same request."""
    now = int(clock.now())
    window = now // WINDOW_SECONDS
    subjects = [subject.id for subject in (target, source) if subject is not None]
    record, counters = throttles.read(subjects, (window, window - 1), with_key)
    return record, Attempt(target=target, source=source, now=now, counters=counters)
