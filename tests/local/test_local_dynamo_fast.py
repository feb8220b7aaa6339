"""local/aws/dynamo_fast.py: moto's DynamoDB with indexed queries and undo-log transactions.

What the product relies on must not move: the same answers as moto's own code for every kind of
Query (key conditions, both directions, Limit, ExclusiveStartKey paging, filters, projections,
ScannedCount, LastEvaluatedKey; on the table and on a GSI, after puts, overwrites, deletes,
updates and transactions), and transactions that apply all or nothing with DynamoDB's
cancellation reasons. The first tests fail on a moto upgrade that changes what the patch relies on.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import moto
import pytest
from botocore.exceptions import ClientError
from conftest import REPO_ROOT

from local import ACCOUNT_ID, REGION
from local.aws import client, dynamo_fast
from local.aws.inprocess import moto_request
from local.stack import LocalStack

KEYS = ["a", "ab", "abc", "abd", "b", "ba", "bz", "c", "IMAGE#1", "IMAGE#2", "IMAGE#20", "IMAGE#3", "z", "zz"]


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


@pytest.fixture(scope="module")
def ddb(stack: LocalStack) -> Any:
    return client("dynamodb", stack.aws_url)


class WireDynamoDB:
    """DynamoDB's JSON protocol sent straight into the local endpoint's WSGI app in this process:
    the same middleware, moto code and answer bytes as over HTTP, without a socket, a server thread
    and botocore for each of the thousands of requests of the differential test (each costs about
    half as much). Answers are the parsed JSON body, as they came off the wire."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def call(self, action: str, **body: Any) -> tuple[int, dict[str, Any]]:
        status, answer, _ = moto_request(
            self._app,
            "POST",
            "/",
            service="dynamodb",
            body=json.dumps(body).encode(),
            headers=[("X-Amz-Target", f"DynamoDB_20120810.{action}"), ("Content-Type", "application/x-amz-json-1.0")],
        )
        return int(status.split()[0]), json.loads(answer or b"{}")

    def ok(self, action: str, **body: Any) -> dict[str, Any]:
        status, answer = self.call(action, **body)
        assert status == 200, (action, answer)
        return answer


def _table(ddb: Any, name: str, range_type: str = "S") -> str:
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": range_type},
            {"AttributeName": "gpk", "AttributeType": "S"},
            {"AttributeName": "gsk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "gsi2",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    )
    return name


def _key(range_type: str, value: str | int) -> dict[str, str]:
    return {range_type: str(value)}


def _random_item(rng: random.Random, range_type: str) -> dict[str, Any]:
    sk = rng.choice(KEYS) if range_type == "S" else rng.choice([-5, 0, 1, 2, 10, 11, 100, 2.5])
    item: dict[str, Any] = {"pk": {"S": rng.choice(["p1", "p2", "p3"])}, "sk": _key(range_type, sk)}
    if rng.random() < 0.8:  # the rest are not in the (sparse) GSIs
        item["gpk"] = {"S": rng.choice(["g1", "g2"])}
        item["gsk"] = {"S": rng.choice(KEYS[:6])}  # many ties: ordered by the table key after the GSI key
    item["n"] = {"N": str(rng.randint(0, 9))}
    item["blob"] = {"S": "x" * rng.randint(0, 40)}
    return item


def _mutate(wire: WireDynamoDB, table: str, rng: random.Random, range_type: str, steps: int) -> None:
    """Puts, overwrites, deletes, updates (moving items in and out of the GSIs) and transactions."""
    for _ in range(steps):
        roll = rng.random()
        item = _random_item(rng, range_type)
        key = {"pk": item["pk"], "sk": item["sk"]}
        if roll < 0.5:
            wire.ok("PutItem", TableName=table, Item=item)
        elif roll < 0.6:
            wire.ok("DeleteItem", TableName=table, Key=key)
        elif roll < 0.75:
            wire.ok(
                "UpdateItem",
                TableName=table,
                Key=key,
                UpdateExpression="SET gpk = :g, gsk = :s ADD n :one",
                ExpressionAttributeValues={":g": {"S": "g1"}, ":s": {"S": rng.choice(KEYS)}, ":one": {"N": "1"}},
            )
        elif roll < 0.8:
            wire.ok("UpdateItem", TableName=table, Key=key, UpdateExpression="REMOVE gsk")
        else:
            other = _random_item(rng, range_type)
            if (other["pk"], other["sk"]) == (item["pk"], item["sk"]):
                continue
            with_condition = {"ConditionExpression": "attribute_not_exists(pk)"} if rng.random() < 0.5 else {}
            status, answer = wire.call(
                "TransactWriteItems",
                TransactItems=[
                    {"Put": {"TableName": table, "Item": item}},
                    {"Put": {"TableName": table, "Item": other, **with_condition}},
                ],
            )
            # Either outcome is compared by the queries that follow.
            assert status == 200 or "TransactionCanceledException" in answer.get("__type", ""), answer


def _queries(rng: random.Random, range_type: str, count: int) -> Iterator[dict[str, Any]]:
    for _ in range(count):
        index = rng.choice([None, None, "gsi1", "gsi2"])
        hash_attr, range_attr = ("gpk", "gsk") if index else ("pk", "sk")
        rtype = "S" if index else range_type
        values: dict[str, Any] = {":h": {"S": rng.choice(["g1", "g2", "g3"] if index else ["p1", "p2", "p3", "p4"])}}
        condition = f"{hash_attr} = :h"
        op = rng.choice([None, "=", "<", "<=", ">", ">=", "between", "begins_with"])
        pick = (lambda: rng.choice(KEYS)) if rtype == "S" else (lambda: rng.choice([-5, 0, 1, 3, 10, 50, 2.5]))
        if op == "between":
            low, high = sorted([pick(), pick()])
            condition += f" AND {range_attr} BETWEEN :a AND :b"
            values[":a"], values[":b"] = _key(rtype, low), _key(rtype, high)
        elif op == "begins_with" and rtype == "S":
            condition += f" AND begins_with({range_attr}, :a)"
            values[":a"] = {"S": rng.choice(["a", "ab", "b", "IMAGE#", "IMAGE#2", "q", "z"])}
        elif op is not None and op != "begins_with":
            condition += f" AND {range_attr} {op} :a"
            values[":a"] = _key(rtype, pick())
        request: dict[str, Any] = {
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": rng.random() < 0.5,
        }
        if index:
            request["IndexName"] = index
        if rng.random() < 0.7:
            request["Limit"] = rng.randint(1, 6)
        if rng.random() < 0.3:
            request["FilterExpression"] = "n > :n"
            values[":n"] = {"N": str(rng.randint(0, 9))}
        if rng.random() < 0.2 and index != "gsi2":
            request["ProjectionExpression"] = "pk, sk, n"
        yield request


def _all_pages(wire: WireDynamoDB, table: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    pages = []
    request = dict(request)
    for _ in range(100):
        page = wire.ok("Query", TableName=table, **request)
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return pages


# ---------------------------------------------------------------- the patch fits this moto


def test_the_patch_is_installed_on_the_pinned_moto(stack: LocalStack) -> None:
    assert dynamo_fast.installed(), "the local endpoint runs moto with local/aws/dynamo_fast.py"
    assert moto.__version__ == dynamo_fast.MOTO_VERSION
    pins = (Path(REPO_ROOT) / "requirements-dev.txt").read_text()
    assert re.search(rf"^moto\[[^\]]*\]=={re.escape(dynamo_fast.MOTO_VERSION)}$", pins, re.M), (
        "requirements-dev.txt pins the moto the patch was checked against; after an upgrade, rerun "
        "these tests and update MOTO_VERSION"
    )
    assert dynamo_fast.compatible() == []


def test_an_upgrade_that_moves_the_internals_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "9.9.9")
    monkeypatch.setattr(dynamo_fast, "_MOTO_TRANSACT_SHA256", "0" * 64)
    problems = dynamo_fast.compatible()
    assert any("9.9.9" in p for p in problems) and any("transact_write_items changed" in p for p in problems)


def test_the_patched_internals_are_still_there() -> None:
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    for name in dynamo_fast.iter_patches():
        owners = {"Table": Table, "DynamoDBBackend": DynamoDBBackend, "BaseJSONSerializer": BaseJSONSerializer}
        owner = owners[name.split(".")[0]]
        assert callable(dynamo_fast.original(name)) and hasattr(owner, name.split(".")[1])
    table = Table(
        "t",
        ACCOUNT_ID,
        REGION,
        schema=[{"AttributeName": "k", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
        attr=[{"AttributeName": "k", "AttributeType": "S"}, {"AttributeName": "r", "AttributeType": "S"}],
    )
    assert (table.hash_key_attr, table.range_key_attr, table.global_indexes) == ("k", "r", [])
    for attribute in ("items", "all_items", "sorted_items", "_item_comes_before_dct", "_get_last_evaluated_key"):
        assert hasattr(table, attribute)


# ---------------------------------------------------------------- Query: the same answers as moto's own


def test_item_values_of_every_type_are_answered_as_moto_serializes_them(ddb: Any) -> None:
    """The answer shortcut (plain attribute values copied as DynamoDB JSON) against moto's own
    serializer: every type, nested maps and lists, empty strings and sets, and the binary types
    the shortcut leaves to moto."""
    table = _table(ddb, "fast-values")
    item = {
        "pk": {"S": "p"},
        "sk": {"S": "values"},
        "s": {"S": "harbour at dusk"},
        "empty": {"S": ""},
        "n": {"N": "-12.50"},
        "b": {"B": b"\x00\xffbytes"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"x", b"y"]},
        "null": {"NULL": True},
        "yes": {"BOOL": True},
        "no": {"BOOL": False},
        "m": {
            "M": {"inner": {"M": {"deep": {"L": [{"S": "x"}, {"N": "3"}, {"NULL": True}, {"M": {}}]}}}, "e": {"L": []}}
        },
        "mb": {"M": {"blob": {"B": b"\x01"}}},
        "l": {"L": [{"SS": ["z"]}, {"BOOL": False}, {"L": [{"S": "nested"}]}]},
    }
    ddb.put_item(TableName=table, Item=item)
    other = {"pk": {"S": "p"}, "sk": {"S": "plain"}, "title": {"S": "plain"}, "n": {"N": "1"}}
    ddb.put_item(TableName=table, Item=other)

    def answers() -> list[Any]:
        return [
            _strip(ddb.get_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})),
            _strip(
                ddb.query(
                    TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}
                )
            ),
            _strip(ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": "p"}, "sk": {"S": "plain"}}]}})),
            _strip(ddb.put_item(TableName=table, Item=other, ReturnValues="ALL_OLD")),
        ]

    fast = answers()
    with dynamo_fast.moto_only():
        slow = answers()
    assert fast == slow
    assert fast[0]["Item"] == item  # and what went in comes back


@pytest.mark.parametrize("range_type", ["S", "N"])
def test_queries_answer_exactly_as_moto_does(local_aws: Any, range_type: str) -> None:
    """Random writes, then random queries read page by page, each answered by the patch and by moto's
    own code; the answers (the JSON bodies) must be equal. Over the endpoint's WSGI app in this
    process: the same request and answer bodies as over HTTP (test_item_values_of_every_type_...
    and the tests below go over HTTP)."""
    table = _table(client("dynamodb", local_aws.url), f"fast-query-{range_type.lower()}", range_type)
    wire = WireDynamoDB(local_aws.app)
    rng = random.Random(15 + len(range_type))
    compared = 0
    for _ in range(4):
        _mutate(wire, table, rng, range_type, steps=120)
        for request in _queries(rng, range_type, 60):
            fast = _all_pages(wire, table, request)
            with dynamo_fast.moto_only():
                slow = _all_pages(wire, table, request)
            assert fast == slow, request
            compared += len(fast)
    assert compared > 300


def test_scanned_count_is_read_before_the_filter_and_limit_bounds_it(ddb: Any) -> None:
    table = _table(ddb, "fast-scanned")
    for i in range(30):
        ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": f"IMAGE#{i:03d}"}, "n": {"N": str(i % 10)}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "QUOTA"}})
    page = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :i)",
        FilterExpression="n = :n",
        ExpressionAttributeValues={":p": {"S": "p"}, ":i": {"S": "IMAGE#"}, ":n": {"N": "3"}},
        ScanIndexForward=False,
        Limit=11,
    )
    assert page["ScannedCount"] == 11 and page["Count"] == 1  # 11 read (029..019), one of them n = 3
    assert [i["sk"]["S"] for i in page["Items"]] == ["IMAGE#023"]
    assert page["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"S": "IMAGE#019"}}
    rest = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :i)",
        ExpressionAttributeValues={":p": {"S": "p"}, ":i": {"S": "IMAGE#"}},
        ScanIndexForward=False,
        ExclusiveStartKey=page["LastEvaluatedKey"],
    )
    assert rest["ScannedCount"] == rest["Count"] == 19 and "LastEvaluatedKey" not in rest
    assert rest["Items"][0]["sk"]["S"] == "IMAGE#018" and rest["Items"][-1]["sk"]["S"] == "IMAGE#000"


def test_a_query_never_sorts_the_whole_table(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    table = _table(ddb, "fast-no-sort")
    ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "a"}, "gpk": {"S": "g"}, "gsk": {"S": "x"}})

    def refuse(self: Any) -> Any:
        raise AssertionError("Table.all_items() was called for a query")

    monkeypatch.setattr(Table, "all_items", refuse)
    for request in (
        {"KeyConditionExpression": "pk = :h", "ExpressionAttributeValues": {":h": {"S": "p"}}},
        {"IndexName": "gsi1", "KeyConditionExpression": "gpk = :h", "ExpressionAttributeValues": {":h": {"S": "g"}}},
    ):
        assert ddb.query(TableName=table, Limit=5, **request)["Count"] == 1


# ---------------------------------------------------------------- transactions: all or nothing


def _scan(ddb: Any, table: str) -> list[dict[str, Any]]:
    return sorted(ddb.scan(TableName=table)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _gsi(ddb: Any, table: str, gpk: str) -> list[str]:
    page = ddb.query(
        TableName=table,
        IndexName="gsi1",
        KeyConditionExpression="gpk = :g",
        ExpressionAttributeValues={":g": {"S": gpk}},
    )
    return [i["sk"]["S"] for i in page["Items"]]


def test_a_cancelled_transaction_undoes_every_write_and_gives_the_reasons(ddb: Any) -> None:
    table = _table(ddb, "fast-transact")
    base = [
        {"pk": {"S": "p"}, "sk": {"S": "kept"}, "gpk": {"S": "g"}, "gsk": {"S": "1"}, "n": {"N": "1"}},
        {"pk": {"S": "p"}, "sk": {"S": "QUOTA"}, "images": {"N": "5"}},
        {"pk": {"S": "p"}, "sk": {"S": "gone"}, "gpk": {"S": "g"}, "gsk": {"S": "2"}},
    ]
    for item in base:
        ddb.put_item(TableName=table, Item=item)
    before, before_gsi = _scan(ddb, table), _gsi(ddb, table, "g")
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "p"}, "sk": {"S": "new"}, "gpk": {"S": "g"}, "gsk": {"S": "0"}},
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "kept"}},
                        "UpdateExpression": "SET gpk = :other ADD n :one",
                        "ExpressionAttributeValues": {":other": {"S": "h"}, ":one": {"N": "1"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"S": "gone"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "QUOTA"}},
                        "UpdateExpression": "ADD images :one",
                        "ConditionExpression": "images < :max",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": "5"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    error = cancelled.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    reasons = error["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert reasons[3]["Item"]["images"] == {"N": "5"}
    assert _scan(ddb, table) == before  # the put, the update and the delete were all undone
    assert _gsi(ddb, table, "g") == before_gsi and _gsi(ddb, table, "h") == []  # and the index with them


def test_a_transaction_that_succeeds_applies_everything(ddb: Any) -> None:
    table = _table(ddb, "fast-transact-ok")
    ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "QUOTA"}, "images": {"N": "1"}})
    ddb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": table,
                    "Item": {"pk": {"S": "p"}, "sk": {"S": "IMAGE#1"}, "gpk": {"S": "g"}, "gsk": {"S": "1"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "p"}, "sk": {"S": "QUOTA"}},
                    "UpdateExpression": "ADD images :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    assert [i["sk"]["S"] for i in _scan(ddb, table)] == ["IMAGE#1", "QUOTA"]
    assert _scan(ddb, table)[1]["images"] == {"N": "2"} and _gsi(ddb, table, "g") == ["IMAGE#1"]


def test_two_operations_on_one_item_are_refused_before_anything_is_written(ddb: Any) -> None:
    table = _table(ddb, "fast-transact-twice")
    item = {"pk": {"S": "p"}, "sk": {"S": "x"}}
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**item, "v": {"S": "1"}}}},
                {"Put": {"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "y"}}}},
                {"Delete": {"TableName": table, "Key": item}},
            ]
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert _scan(ddb, table) == []


def test_a_cancelled_transaction_leaves_other_items_untouched_in_place(stack: LocalStack, ddb: Any) -> None:
    """Undo, not restore-a-copy: the table and the items the transaction did not name stay the
    very same objects (moto's own code replaced the whole table with a deep copy)."""
    from moto.dynamodb.models import dynamodb_backends

    table = _table(ddb, "fast-transact-in-place")
    for i in range(50):
        ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": f"{i:02d}"}})
    backend = dynamodb_backends[ACCOUNT_ID][REGION]
    moto_table = backend.tables[table]
    untouched = {k: id(v) for k, v in moto_table.items[next(iter(moto_table.items))].items()}
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "00"}, "v": {"S": "new"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "01"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert backend.tables[table] is moto_table
    now = {k: id(v) for k, v in moto_table.items[next(iter(moto_table.items))].items()}
    assert {k: v for k, v in now.items() if k.value != "00"} == {k: v for k, v in untouched.items() if k.value != "00"}
    assert "v" not in ddb.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "00"}})["Item"]
