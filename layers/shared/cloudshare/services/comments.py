"""Comments on shared items: visitors post on the share page (or its JSON API), owners read, reply, delete.

- A comment belongs to the version it was written on. The page shows the current version's comments,
  or every version's (labelled) when the item has show_combined_comments.
- Visitors see and post comments only where the page itself is served (published, not expired or
  deleted; a password needs its grant) and the owner allows comments; turning comments off hides
  them and refuses new ones, turning them on shows them again (nothing is removed).
- Abuse: posts per source and per item are limited per window (429 + Retry-After), counted in the
  transaction that stores the comment (store/comments.py); the form carries a hidden field that
  people leave empty (a honeypot) and a signed time it was handed out, and a post must come at
  least MIN_FORM_SECONDS after it. Bodies are size-limited before they are parsed (dialects/pages.py).
- total_comments on the item is a counter moved with each comment, so it is exact (store/comments.py).
- The owner is e-mailed (SES, from the share sender) about a visitor's comment, at most once an hour per
  item: the e-mail lists every comment since the previous one (a digest). Comments held back by the hour
  are scheduled (store.hold_digest) and sent by the sweep once the hour is over, unless a later comment's
  e-mail told of them first. comment_emails=false on the item switches this off.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cloudshare.config import settings
from cloudshare.errors import AccessDenied, InvalidInput, ItemNotFound, NotFound, TooManyAttempts
from cloudshare.models import Comment, Item, User
from cloudshare.observability import logger
from cloudshare.services import clock, lifecycle, links, management, share_tokens, sharing, throttle
from cloudshare.store import comments as store
from cloudshare.store import items, mail, users

MAX_TEXT = 2000
MAX_AUTHOR = 80
MAX_BODY_BYTES = 16 * 1024  # a form of a name and 2,000 characters (each up to 4 bytes, escaped) fits
MIN_FORM_SECONDS = 3  # people read before they write; naive bots post the moment they load the form
WINDOW_SECONDS = 10 * 60
POSTS_PER_SOURCE = 10  # per window
POSTS_PER_ITEM = 60  # per window
MAX_PAGE = 100
DEFAULT_PAGE = 20
OWNER_NAME = "Owner"
DIGEST_SECONDS = 60 * 60  # at most one e-mail an hour per item
DIGEST_COMMENTS = 20  # the newest ones an e-mail shows


class CommentsOff(AccessDenied):
    def __init__(self) -> None:
        super().__init__("The owner does not take comments on this item.", field="comments")


class CommentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Comment not found", field="comment_id")


class TooManyComments(TooManyAttempts):
    def __init__(self, retry_after: int):
        super().__init__(retry_after, field="comments")
        self.message = f"Too many comments lately. Try again in {retry_after} s."


@dataclass(frozen=True)
class VisitorComment:
    """What a visitor sends: a name, the text, and the form's hidden fields."""

    author: str | None
    text: str | None
    form_token: str | None
    honeypot: str | None  # a field hidden from people; only a bot fills it in


@dataclass(frozen=True)
class Thread:
    """The comments a visitor (or the owner) sees, newest first, and where the next page starts."""

    item: Item
    comments: list[Comment]
    next_before: str | None
    combined: bool  # every version's comments (labelled) rather than the current one's
    form_token: str  # for the form that posts the next one ("" where posting is not possible)


def _new_id() -> str:
    """Time-ordered: the creation time in microseconds (hex, fixed width), then 32 random bits."""
    second, micros = clock.creation_stamp()
    return f"{second * 1_000_000 + micros:014x}{secrets.token_hex(4)}"


def _text(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput("text must not be empty", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"text is at most {MAX_TEXT} characters", field="text")
    return text


def _author(value: str | None) -> str:
    author = " ".join((value or "").split())
    if not author:
        raise InvalidInput("name must not be empty", field="name")
    if len(author) > MAX_AUTHOR:
        raise InvalidInput(f"name is at most {MAX_AUTHOR} characters", field="name")
    return author


def _page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    return limit


def _is_id(text: str) -> bool:
    return len(text) == 22 and all(character in "0123456789abcdef" for character in text)


def _cursor(before: str | None) -> str | None:
    if before is not None and not _is_id(before):
        raise InvalidInput("before must be a comment id", field="before")
    return before


def _shown_versions(item: Item) -> tuple[int, ...] | None:
    return None if item.show_combined_comments else (item.version,)


# ---------------------------------------------------------------- visitors


def visible(visit: sharing.Visit, before: str | None = None, limit: int | None = None) -> Thread:
    """What a visitor may read of the comments behind a link (GET /{code}/comments)."""
    return thread(sharing.readable(visit)[0], before, limit)


def thread(item: Item, before: str | None = None, limit: int | None = None) -> Thread:
    """The comments visitors see on an item its page is showing (the caller checked that it may), and a
    form token; none while comments are off. No read at all while it has none."""
    size, cursor = _page_size(limit), _cursor(before)
    if not item.allow_comments:
        return Thread(item=item, comments=[], next_before=None, combined=False, form_token="")
    found, more = (
        ([], False)
        if not item.total_comments
        else store.page(item.slug, size, before=cursor, versions=_shown_versions(item))
    )
    return Thread(
        item=item,
        comments=found,
        next_before=found[-1].comment_id if more else None,
        combined=item.show_combined_comments,
        form_token=share_tokens.comment_form(item),
    )


def post(visit: sharing.Visit, sent: VisitorComment, base: str) -> Comment:
    """A visitor's comment on the item's current version, within the limits; from the owner (an API key
    on the request), their reply."""
    item, owned = sharing.readable(visit)
    if owned:
        return _store_reply(item, sent.text, None)
    if not item.allow_comments:
        raise CommentsOff()
    if sent.honeypot:
        logger.info("comment honeypot filled", extra={"slug": item.slug})
        raise InvalidInput("This form was filled in by a program, not a person.", field="website")
    age = share_tokens.comment_form_age(sent.form_token, item)
    if age is None:
        raise InvalidInput("The form is out of date: reload the page and write again.", field="form_token")
    if age < MIN_FORM_SECONDS:
        raise InvalidInput("That was quick: take a moment before posting.", field="form_token")
    comment = Comment(
        slug=item.slug,
        comment_id=_new_id(),
        version=item.version,
        author=_author(sent.author),
        body=_text(sent.text),
        created_at=clock.iso(),
    )
    now = int(clock.now())
    window = now // WINDOW_SECONDS
    expires = (window + 2) * WINDOW_SECONDS
    limits = (
        store.RateLimit(throttle.Subject("source", visit.client).id, window, POSTS_PER_SOURCE, expires),
        store.RateLimit(throttle.Subject("item", item.slug).id, window, POSTS_PER_ITEM, expires),
    )
    try:
        store.add(comment, owner_id=None, limits=limits)
    except store.RateExceeded:
        logger.info("comments throttled", extra={"slug": item.slug})
        raise TooManyComments(max((window + 1) * WINDOW_SECONDS - now, 1)) from None
    except store.CommentsClosed:
        raise CommentsOff() from None  # turned off, or the item went, since it was read
    logger.info("comment posted", extra={"slug": item.slug, "comment_id": comment.comment_id})
    _tell_owner(item, comment, base)
    return comment


def _tell_owner(item: Item, comment: Comment, base: str) -> None:
    """The owner's e-mail about new comments, unless one went out within the hour (then this comment waits
    for the next). The comment is stored whatever happens here: a failed e-mail is logged, not an error."""
    sender = settings().share_sender
    if not item.comment_emails or not sender:
        return
    try:
        _send_digest(item, comment, base, sender)
    except Exception:  # noqa: BLE001 - the comment is stored: a retry would post it twice; log and carry on
        logger.exception("comment e-mail failed", extra={"slug": item.slug})


def _send_digest(item: Item, comment: Comment, base: str, sender: str) -> None:
    now = clock.now()
    claim = store.claim_digest(item.slug, comment.comment_id, clock.iso(now), clock.iso(now - DIGEST_SECONDS))
    link = links.share_url(item, base)
    if claim.claimed:
        _mail_news(item, claim.previous, comment.comment_id, link, sender)
    elif claim.mailed_at is not None and (claim.previous or "") < comment.comment_id:
        due = _an_hour_after(claim.mailed_at)
        store.hold_digest(item.slug, due, link, clock.iso(now))


def send_held(slug: str, link: str) -> str | None:
    """The sweep's e-mail about comments held back by the hourly limit (store.hold_digest): sent once, with
    every comment since the last e-mail. Returns when to look again (another e-mail went out within the
    hour and newer comments still wait), or None when nothing is left to tell."""
    sender = settings().share_sender
    item = items.get(slug)
    if item is None or not item.comment_emails or not sender:
        return None
    newest, _ = store.page(slug, 1)
    if not newest:
        return None
    now = clock.now()
    through = newest[0].comment_id
    claim = store.claim_digest(slug, through, clock.iso(now), clock.iso(now - DIGEST_SECONDS))
    if claim.claimed:
        _mail_news(item, claim.previous, through, link, sender)
        return None
    if claim.mailed_at is None or through <= (claim.previous or ""):
        return None
    return _an_hour_after(claim.mailed_at)


def _an_hour_after(mailed_at: str) -> str:
    return clock.iso(lifecycle.parse_time(mailed_at).timestamp() + DIGEST_SECONDS)


def _mail_news(item: Item, previous: str | None, through: str, link: str, sender: str) -> None:
    recent, _ = store.page(item.slug, DIGEST_COMMENTS)
    news = [entry for entry in recent if (previous or "") < entry.comment_id <= through]
    owner = users.get_user(item.owner_id)
    if owner is not None and news:
        mail.send(_digest(item, news, link, sender, owner.email))


# Autoescaped: names, texts and the item's name are visitors' and owners' text.
_DIGEST_HTML = """<!doctype html>
<html><body style="font-family: sans-serif">
<p>New comments on <a href="{{ url }}">{{ name }}</a>:</p>
{% for comment in comments %}<p><strong>{{ comment.author }}</strong> (version {{ comment.version }}, {{
comment.created_at }})</p><blockquote style="white-space: pre-wrap">{{ comment.body }}</blockquote>
{% endfor %}<p style="color: #6b7280">At most one e-mail an hour per item. Turn these off with
comment_emails=false on the artifact.</p>
</body></html>
"""


def _digest(item: Item, news: list[Comment], url: str, sender: str, recipient: str) -> mail.Mail:
    from jinja2 import Environment

    lines = [f"New comments on {item.name} ({url}):", ""]
    for entry in news:
        lines += [f"{entry.author} (version {entry.version}, {entry.created_at}):", entry.body, ""]
    subject = "".join(
        c for c in f'{len(news)} new comment{"s" if len(news) > 1 else ""} on "{item.name}"' if c.isprintable()
    )
    html = Environment(autoescape=True).from_string(_DIGEST_HTML).render(url=url, name=item.name, comments=news)
    return mail.Mail(sender=sender, recipient=recipient, subject=subject, text="\n".join(lines), html=html)


# ---------------------------------------------------------------- owners


def owner_thread(
    user: User, slug: str, before: str | None = None, limit: int | None = None, version: int | None = None
) -> Thread:
    """Every comment of the owner's item (whether or not visitors may see them now), newest first."""
    item = management.owned(user, slug, "view comments on")
    size, cursor = _page_size(limit), _cursor(before)
    found, more = store.page(item.slug, size, before=cursor, versions=None if version is None else (version,))
    return Thread(
        item=item,
        comments=found,
        next_before=found[-1].comment_id if more else None,
        combined=version is None,
        form_token="",
    )


def reply(user: User, slug: str, text: str | None, version: int | None = None) -> Comment:
    """The owner's comment, marked as theirs; on the current version unless another is named."""
    return _store_reply(management.owned(user, slug, "comment on"), text, version)


def _store_reply(item: Item, text: str | None, version: int | None) -> Comment:
    if version is not None and version != item.version and not 1 <= version <= item.version:
        raise InvalidInput(f"version must be one of the artifact's versions (1 to {item.version})", field="version")
    comment = Comment(
        slug=item.slug,
        comment_id=_new_id(),
        version=item.version if version is None else version,
        author=OWNER_NAME,
        body=_text(text),
        created_at=clock.iso(),
        by_owner=True,
    )
    try:
        store.add(comment, owner_id=item.owner_id)
    except store.CommentsClosed:
        raise ItemNotFound() from None  # deleted or purged since it was read
    return comment


def remove(user: User, slug: str, comment_id: str) -> None:
    item = management.owned(user, slug, "delete comments on")
    try:
        removed = _is_id(comment_id) and store.delete(item.slug, comment_id, user.user_id)
    except store.CommentsClosed:
        raise ItemNotFound() from None  # deleted or purged since it was read
    if not removed:
        raise CommentNotFound()
