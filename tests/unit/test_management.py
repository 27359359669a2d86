"""The management service under both dialects: changes, soft delete and restore, listing orders."""

import boto3
import pytest

from cloudshare.errors import FeatureNotAvailable, InvalidInput, ItemNotFound, NotOwner
from cloudshare.services import accounts, clock, management
from cloudshare.services.management import ItemChanges
from cloudshare.store import users
from tests.unit.helpers import ready_file


def fresh(user):
    return users.get_user(user.user_id)


def test_given_an_item_when_renamed_and_relinked_then_the_change_is_stored(user):
    owner = user["user"]
    item = ready_file(owner)
    changed = management.update(owner, item.slug, ItemChanges(name=" report.pdf ", long_link=False))
    assert (changed.name, changed.long_link) == ("report.pdf", False)
    relinked = management.update(owner, item.slug, ItemChanges(long_link=True))
    assert relinked.link_secret != item.link_secret  # the earlier long link does not come back


def test_given_someone_elses_item_then_not_owner_and_nothing_changes(user):
    item = ready_file(user["user"])
    other = accounts.create_user("bob@example.com", "bob password!", "free")
    with pytest.raises(NotOwner):
        management.update(other, item.slug, ItemChanges(name="mine now"))
    assert management.owned(user["user"], item.slug).name == "a.txt"


def test_given_a_free_plan_when_setting_a_password_then_the_paid_feature_error(user):
    item = ready_file(user["user"])
    with pytest.raises(FeatureNotAvailable) as raised:
        management.update(user["user"], item.slug, ItemChanges(password="secret"))
    assert raised.value.extra == {"feature": "passwordProtection"}


@pytest.mark.parametrize("when", ["2001-01-01T00:00:00Z", "yesterday", "2026-13-45T00:00:00Z"])
def test_given_a_past_or_malformed_expiry_then_invalid_input(user, when):
    owner = accounts.set_plan(user["email"], "pro")
    item = ready_file(owner)
    with pytest.raises(InvalidInput):
        management.update(owner, item.slug, ItemChanges(expiration_time=when))


def test_given_a_deleted_item_then_counts_drop_and_restore_brings_them_back(user):
    owner = user["user"]
    item = ready_file(owner)
    assert (fresh(owner).item_count, fresh(owner).artifact_count) == (1, 1)
    management.soft_delete(owner, item.slug)
    assert (fresh(owner).item_count, fresh(owner).artifact_count, fresh(owner).storage_used) == (0, 0, 5)
    with pytest.raises(ItemNotFound):
        management.owned(owner, item.slug)
    with pytest.raises(ItemNotFound):
        management.soft_delete(owner, item.slug)
    assert management.list_page(fresh(owner), 20).items == []
    restored = management.restore(fresh(owner), item.slug)
    assert restored.deleted_at is None and (fresh(owner).item_count, fresh(owner).artifact_count) == (1, 1)
    assert [i.slug for i in management.list_page(fresh(owner), 20).items] == [item.slug]


def test_given_25_items_when_paging_by_cursor_then_every_item_once_newest_first(user, monkeypatch):
    owner = accounts.set_plan(user["email"], "pro")
    start = clock.now()
    made = []
    for n in range(25):
        monkeypatch.setattr(clock, "now", lambda n=n: start + n)
        made.append(ready_file(owner, f"{n}.txt").slug)
    seen, page = [], management.list_page(fresh(owner), 10)
    while True:
        seen += [i.slug for i in page.items]
        if page.older is None:
            break
        page = management.list_page(fresh(owner), 10, before=page.older)
    assert seen == list(reversed(made)) and page.total == 25
    back = management.list_page(fresh(owner), 10, after=management.list_page(fresh(owner), 10, before=page.newer).older)
    assert back.items  # the previous page from a middle position is reachable


def test_given_views_when_listing_by_views_then_the_index_orders_them(user):
    owner = accounts.set_plan(user["email"], "pro")
    slugs = [ready_file(owner, f"{n}.txt").slug for n in range(3)]
    dynamodb = boto3.client("dynamodb")
    for views, slug in zip((5, 1, 9), slugs, strict=True):
        dynamodb.update_item(
            TableName="cloudshare-test",
            Key={"PK": {"S": f"ITEM#{slug}"}, "SK": {"S": "ITEM"}},
            UpdateExpression="SET view_counter = :v",
            ExpressionAttributeValues={":v": {"N": str(views)}},
        )
    found, total = management.list_offset(fresh(owner), 1, 2, "total_views", descending=True)
    assert [i.view_counter for i in found] == [9, 5] and total == 3
    found, _ = management.list_offset(fresh(owner), 2, 2, "total_views", descending=True)
    assert [i.view_counter for i in found] == [1]


def test_given_an_expiry_then_a_favorite_toggle_leaves_what_is_due_in_place(user):
    owner = accounts.set_plan(user["email"], "pro")
    item = ready_file(owner)
    management.update(owner, item.slug, ItemChanges(expiration_time="2099-01-01T00:00:00Z"))
    management.set_favorite(owner, item.slug, True)
    record = boto3.client("dynamodb").get_item(
        TableName="cloudshare-test", Key={"PK": {"S": f"ITEM#{item.slug}"}, "SK": {"S": "ITEM"}}
    )["Item"]
    assert record["due_at"]["S"].startswith("2099-01-01T00:00:00Z#")


def test_given_two_changes_from_the_same_read_then_the_second_is_refused_by_the_database(user):
    from cloudshare.models import KEEP
    from cloudshare.store import items

    owner = user["user"]
    stale = management.owned(owner, ready_file(owner).slug)
    items.update_fields(stale, {"name": "first.txt"}, [], KEEP)
    with pytest.raises(items.StateChanged):
        items.update_fields(stale, {"name": "second.txt"}, [], KEEP)
    # the service reads again and applies the change to the item as it now is
    assert management.update(owner, stale.slug, ItemChanges(name="second.txt")).name == "second.txt"


def test_given_bare_epoch_cursors_beyond_every_item_then_no_older_link_to_an_empty_page_but_a_newer_one_to_poll(
    user, monkeypatch
):
    owner = accounts.set_plan(user["email"], "pro")
    start = clock.now()
    for n in range(3):
        monkeypatch.setattr(clock, "now", lambda n=n: start + n)
        ready_file(owner, f"{n}.txt")
    everything_newer = management.list_page(
        fresh(owner), 10, after=management.cursor_position(0, None, None, after=True)
    )
    assert len(everything_newer.items) == 3 and everything_newer.older is None
    far_future = management.cursor_position(32_503_680_000, None, None, after=False)  # 3000-01-01
    everything_older = management.list_page(fresh(owner), 10, before=far_future)
    assert len(everything_older.items) == 3
    assert management.cursor_parts(everything_older.newer)[2] == everything_older.items[0].slug  # poll from here
