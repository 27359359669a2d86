"""moto's DynamoDB with DynamoDB's guarantees (devtools.moto_writes), as the local stack runs it."""

import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.unit.helpers import TABLE


def put(key: str, **attributes) -> dict:
    return {"Put": {"TableName": TABLE, "Item": {"PK": {"S": key}, "SK": {"S": "ITEM"}, **attributes}}}


def counter_increment(key: str) -> dict:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": {"PK": {"S": key}, "SK": {"S": "ITEM"}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def fill(dynamodb, count: int) -> None:
    for start in range(0, count, 25):
        dynamodb.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": {"PK": {"S": f"FILL#{n}"}, "SK": {"S": "ITEM"}, "pad": {"S": "x" * 200}}}}
                    for n in range(start, min(start + 25, count))
                ]
            }
        )


def item(dynamodb, key: str) -> dict | None:
    return dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": key}, "SK": {"S": "ITEM"}}).get("Item")


def test_given_a_transaction_that_fails_then_only_what_it_touched_is_rolled_back():
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "A"}, "SK": {"S": "ITEM"}, "n": {"N": "1"}})
    # When a transaction updates A, creates B, then fails its condition on C
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                counter_increment("A"),
                put("B"),
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"PK": {"S": "C"}, "SK": {"S": "ITEM"}},
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )
    # Then A is as it was and B does not exist
    assert item(dynamodb, "A")["n"] == {"N": "1"}
    assert item(dynamodb, "B") is None


def test_given_a_big_table_then_a_transaction_costs_what_it_touches():
    dynamodb = boto3.client("dynamodb")
    fill(dynamodb, 3000)  # moto alone deep-copied all of it per transaction: ~0.5 s each at this size
    # CPU time of this process (moto runs in it), not wall time: other processes on a busy machine do not count
    started = time.process_time()
    for n in range(20):
        dynamodb.transact_write_items(TransactItems=[counter_increment("A"), put(f"B{n}")])
    assert time.process_time() - started < 2.0
    assert item(dynamodb, "A")["n"] == {"N": "20"}


def test_given_a_retried_transaction_with_its_token_then_it_is_applied_once():
    dynamodb = boto3.client("dynamodb")
    # Given a committed transaction whose answer the client never saw, when the client retries it
    for _ in range(3):
        dynamodb.transact_write_items(TransactItems=[counter_increment("A")], ClientRequestToken="retry-1")
    # Then it counted once, as in DynamoDB
    assert item(dynamodb, "A")["n"] == {"N": "1"}
    # And a different request under the same token is refused
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[counter_increment("B")], ClientRequestToken="retry-1")
    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert item(dynamodb, "B") is None
    # And another token is another transaction
    dynamodb.transact_write_items(TransactItems=[counter_increment("A")], ClientRequestToken="retry-2")
    assert item(dynamodb, "A")["n"] == {"N": "2"}


def test_given_a_transaction_with_a_binary_attribute_and_its_token_then_it_is_applied():
    dynamodb = boto3.client("dynamodb")
    # Given a transaction that puts binary data (a passkey's public key), sent with a client token
    key = {"public_key": {"B": b"\xa5\x01\x02"}}
    for _ in range(2):
        dynamodb.transact_write_items(TransactItems=[put("K", **key)], ClientRequestToken="binary-1")
    # Then it is stored as sent
    assert item(dynamodb, "K")["public_key"] == {"B": b"\xa5\x01\x02"}


def test_given_parallel_transactions_and_reads_of_missing_keys_then_no_operation_fails():
    dynamodb = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 1}))  # a retry would hide it
    fill(dynamodb, 1500)

    def work(n: int) -> None:
        if n % 2:
            dynamodb.transact_write_items(TransactItems=[counter_increment("A"), put(f"B{n}")])
        else:  # a read of a missing key: moto inserts an empty entry as it looks
            assert item(dynamodb, f"MISSING#{n}") is None

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(200)))
    assert item(dynamodb, "A")["n"] == {"N": "100"}
