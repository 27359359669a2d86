"""DynamoDB items read per list request, for an owner with 5,000 items: v3 cursor pages and v1 offset
pages in every sort order, at pages 1, 10 and 50.

In-process moto, the template's table, items bulk-written in the real item shape; the listing
services are called as the handlers call them, and every Query's ScannedCount (items read, before
any filter) is summed by a botocore after-call hook.
Targets: page 1 reads at most 1.2 x the page size; cursor pages read the same at any depth.
Run: python -m devtools.bench_listing
"""

from __future__ import annotations

import random
import sys

from devtools.offline import use_in_process_aws

OWNER_ITEMS = 5_000
PAGE_SIZE = 20
PAGES = (1, 10, 50)
PAGE_ONE_TARGET = 1.2


def measure() -> tuple[list[str], bool]:
    # Before cloudshare is imported: Powertools reads its settings when the module loads.
    use_in_process_aws(TABLE_NAME="bench", BUCKET_NAME="bench-files", NONCE_SECRET_ID="bench")
    import boto3
    from moto import mock_aws

    from cloudshare.config import settings
    from cloudshare.services import accounts, management
    from cloudshare.store import listing, users
    from cloudshare.store.aws import client
    from devtools.template import create_table

    settings.cache_clear()
    client.cache_clear()
    with mock_aws():
        create_table(boto3.client("dynamodb"), "bench")
        owner = accounts.create_user("bench@example.com", "bench-password", "pro_max")
        _bulk_items(owner.user_id)
        owner = users.get_user(owner.user_id)
        read = _query_counter(client("dynamodb"))
        rows: list[tuple[str, dict[int, int]]] = []
        cursor_costs, position = {}, None
        for number in range(1, max(PAGES) + 1):  # a client following next_url from the first page
            read["items"] = 0
            page = management.list_page(owner, PAGE_SIZE, before=position)
            if number in PAGES:
                cursor_costs[number] = read["items"]
            position = page.older
        rows.append(("v3 cursor  created_at desc", cursor_costs))
        for order in listing.ORDERS:
            for descending in (True, False):
                costs = {}
                for number in PAGES:
                    read["items"] = 0
                    management.list_offset(owner, number, PAGE_SIZE, order, descending)
                    costs[number] = read["items"]
                rows.append((f"v1 offset  {order} {'desc' if descending else 'asc'}", costs))
    return _report(rows, cursor_costs)


def _bulk_items(owner_id: str) -> None:
    """OWNER_ITEMS ready files in the real record shape, one a second, with scattered counters."""
    from cloudshare.models import Item
    from cloudshare.services import clock, uploads
    from cloudshare.store.aws import client
    from cloudshare.store.items import item_record
    from cloudshare.store.records import to_item

    chance = random.Random(7)
    start = 1_700_000_000
    dynamodb = client("dynamodb")
    records = []
    for n in range(OWNER_ITEMS):
        slug = uploads.new_slug()
        created = clock.iso(start + n)
        item = Item(
            slug=slug,
            owner_id=owner_id,
            name=f"file {n}.png",
            kind="file",
            state="ready",
            created_at=created,
            updated_at=clock.iso(start + chance.randrange(OWNER_ITEMS * 2)),
            object_key=uploads.object_key(slug),
            size=1000,
            content_type="image/png",
            link_secret=uploads.new_link_secret(),
            view_counter=chance.randrange(10_000),
            download_counter=chance.randrange(1_000),
            version=1,
            last_version=1,
            stored_bytes=1000,
        )
        records.append({"PutRequest": {"Item": to_item(item_record(item, None))}})
    for offset in range(0, len(records), 25):
        batch = {"bench": records[offset : offset + 25]}
        while batch:
            batch = dynamodb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or None
    dynamodb.update_item(
        TableName="bench",
        Key=to_item({"PK": f"USER#{owner_id}", "SK": "PROFILE"}),
        UpdateExpression="SET item_count = :n, artifact_count = :n",
        ExpressionAttributeValues=to_item({":n": OWNER_ITEMS}),
    )


def _query_counter(dynamodb) -> dict:
    """Sums the items each Query read (ScannedCount: before filters, what DynamoDB charges for)."""
    read = {"items": 0}

    def after_query(parsed, **_kwargs) -> None:
        read["items"] += parsed.get("ScannedCount", len(parsed.get("Items", [])))

    dynamodb.meta.events.register("after-call.dynamodb.Query", after_query)
    return read


def _report(rows: list[tuple[str, dict[int, int]]], cursor_costs: dict[int, int]) -> tuple[list[str], bool]:
    lines = [
        f"items read per list request: {OWNER_ITEMS} items, page size {PAGE_SIZE} (ratio to page size)",
        f"{'listing':36}" + "".join(f"{'page ' + str(n):>18}" for n in PAGES),
    ]
    for name, costs in rows:
        lines.append(f"{name:36}" + "".join(f"{f'{costs[n]} ({costs[n] / PAGE_SIZE:.2f}x)':>18}" for n in PAGES))
    page_one_ok = all(costs[1] <= PAGE_ONE_TARGET * PAGE_SIZE for _, costs in rows)
    flat = len(set(cursor_costs.values())) == 1
    lines.append(
        f"target page 1 <= {PAGE_ONE_TARGET}x page size in every listing: {'met' if page_one_ok else 'MISSED'}"
    )
    lines.append(f"target cursor pages flat: {'met' if flat else 'MISSED'} ({sorted(set(cursor_costs.values()))})")
    lines.append("offset pages read offset + page size by design (the v1 contract pages by number)")
    return lines, page_one_ok and flat


def main() -> None:
    lines, met = measure()
    print("\n".join(lines))
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
