"""moto's DynamoDB, made to hold a real collection (issue 15): without this, each Query sorts the
whole table (``Table.all_items``) and each TransactWriteItems deep-copies every table it touches,
so a create took seconds at 10,000 images.

What changes, and only in the process that runs the local endpoint (``install()``):

- Every table keeps a sorted index of its partitions and of each global secondary index
  (``_TableIndex``), kept in step by wrapping the only calls that change items (``Table.put_item``,
  ``Table.delete_item``, ``DynamoDBBackend.update_item``). A Query picks from it the few items its
  key condition, ``ExclusiveStartKey`` and ``Limit`` can reach, and hands those to moto's own
  ``Table.query``, which does everything else as before (ordering, filters, projections, Limit,
  the 1 MB page, ``ScannedCount``, ``LastEvaluatedKey``), so results stay moto's to the byte.
- TransactWriteItems is moto's algorithm with an undo log of the items it touches in place of a
  copy of every table; a cancelled transaction restores exactly those items.
- Answers: an item's attribute values are written out as the DynamoDB JSON they already are,
  instead of through moto's model-driven serializer (ten members and their aliases looked up for
  every value; 300 Queries of ten items went from 4.4 s to 1.8 s). Binary values and anything
  unusual still go through moto's serializer.

Anything the fast path does not understand (tables without a sort key, legacy QueryFilter,
multi-attribute GSI keys, a key type mix-up) goes to moto's unchanged code. The patch is written
against moto ``MOTO_VERSION`` (pinned in requirements-dev.txt): on another version, or when the
internals it relies on have moved, ``install()`` refuses and logs why, and moto runs as released;
tests/local/test_local_dynamo_fast.py fails then, and compares every kind of Query and
transaction with moto's own code.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("local.aws.dynamo_fast")

MOTO_VERSION = "5.2.5"  # the version this patch was written and tested against (requirements-dev.txt)

_INSTALL_LOCK = threading.Lock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}
_INDEX_ATTR = "_local_fast_index"
# moto's server runs requests on threads (the local endpoint serialises DynamoDB ones, an
# in-process mock does not): index changes and reads never interleave.
_INDEX_LOCK = threading.RLock()


# ---------------------------------------------------------------- the sorted index


class _Sorted:
    """Sorted keys (moto's ``cast_value``s, so the order is moto's own) with the item locator of each."""

    __slots__ = ("keys", "refs")

    def __init__(self) -> None:
        self.keys: list[Any] = []
        self.refs: list[Any] = []

    def add(self, key: Any, ref: Any) -> None:
        i = bisect.bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            self.refs[i] = ref
            return
        self.keys.insert(i, key)
        self.refs.insert(i, ref)

    def remove(self, key: Any) -> None:
        i = bisect.bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]
            del self.refs[i]


class _Gsi:
    def __init__(self, name: str, hash_attr: str, range_attr: str) -> None:
        self.name, self.hash_attr, self.range_attr = name, hash_attr, range_attr
        self.parts: dict[tuple[str, Any], _Sorted] = {}


class _TableIndex:
    """Per table: its partitions sorted by sort key, and each GSI's partitions sorted as moto
    sorts a GSI query (GSI sort key, then table hash key, then table sort key)."""

    def __init__(self, table: Any) -> None:
        self.signature = _signature(table)
        self.parts: dict[Any, _Sorted] = {}
        self.gsis: dict[str, _Gsi] = {}
        # (hash, range) of an item -> {gsi name: (gsi partition id, sort tuple)}: where it is indexed.
        self.placed: dict[tuple[Any, Any], dict[str, tuple[tuple[str, Any], tuple[Any, ...]]]] = {}
        for gsi in table.global_indexes:
            hashes = [k["AttributeName"] for k in gsi.schema if k["KeyType"] == "HASH"]
            ranges = [k["AttributeName"] for k in gsi.schema if k["KeyType"] == "RANGE"]
            if len(hashes) == 1 and len(ranges) == 1:  # others: moto's own query
                self.gsis[gsi.name] = _Gsi(gsi.name, hashes[0], ranges[0])
        for hash_dt, partition in table.items.items():
            for range_dt in list(partition):
                self.sync(table, hash_dt, range_dt)

    def sync(self, table: Any, hash_dt: Any, range_dt: Any) -> None:
        """Make the index agree with ``table.items`` for this one key."""
        partition = table.items.get(hash_dt)
        item = partition.get(range_dt) if partition is not None else None
        h, r = hash_dt.cast_value, range_dt.cast_value
        part = self.parts.get(h)
        if item is None:
            if part is not None:
                part.remove(r)
                if not part.keys:
                    del self.parts[h]
        else:
            if part is None:
                part = self.parts[h] = _Sorted()
            part.add(r, (hash_dt, range_dt))
        old = self.placed.pop((h, r), {})
        new: dict[str, tuple[tuple[str, Any], tuple[Any, ...]]] = {}
        if item is not None:
            for gsi in self.gsis.values():
                gh, gr = item.attrs.get(gsi.hash_attr), item.attrs.get(gsi.range_attr)
                if gh and gr:  # as moto: an item without both key attributes is not in the index
                    new[gsi.name] = ((gh.type, gh.cast_value), (gr.cast_value, h, r))
        for name, (pid, key) in old.items():
            if new.get(name) != (pid, key):
                gpart = self.gsis[name].parts.get(pid)
                if gpart is not None:
                    gpart.remove(key)
                    if not gpart.keys:
                        del self.gsis[name].parts[pid]
        for name, (pid, key) in new.items():
            self.gsis[name].parts.setdefault(pid, _Sorted()).add(key, (hash_dt, range_dt))
        if new:
            self.placed[(h, r)] = new


def _signature(table: Any) -> tuple[Any, ...]:
    return (
        id(table.items),
        table.hash_key_attr,
        table.range_key_attr,
        tuple((g.name, repr(g.schema)) for g in table.global_indexes),
    )


class _Broken(Exception):
    """The index cannot represent this table (e.g. mixed key types): use moto's own code."""


def _index(table: Any, build: bool = True) -> _TableIndex | None:
    if not table.range_key_attr:
        return None
    index = table.__dict__.get(_INDEX_ATTR)
    if index is False:
        return None
    if index is not None and index.signature == _signature(table):
        return index
    if not build:
        table.__dict__.pop(_INDEX_ATTR, None)  # stale (e.g. a GSI was added): rebuilt on the next query
        return None
    try:
        index = _TableIndex(table)
    except TypeError:
        log.warning("table %s: keys of mixed types, using moto's unindexed queries", table.name)
        table.__dict__[_INDEX_ATTR] = False
        return None
    table.__dict__[_INDEX_ATTR] = index
    return index


def _sync(table: Any, hash_dt: Any, range_dt: Any) -> None:
    with _INDEX_LOCK:
        index = _index(table, build=False)  # built lazily by the first query; until then nothing to keep
        if index is None or range_dt is None:
            return
        try:
            index.sync(table, hash_dt, range_dt)
        except TypeError:
            table.__dict__[_INDEX_ATTR] = False


# ---------------------------------------------------------------- Query


class _Candidates:
    """The table as moto's ``Table.query`` sees it, except that ``all_items()`` is only the items
    the query can reach (moto filters, orders and pages them as it would the whole table)."""

    def __init__(self, table: Any, items: list[Any]) -> None:
        self._table = table
        self._items = items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Any]:
        return self._items


def _bounds(sorted_: _Sorted, comparison: str | None, values: list[Any], key: Callable[[Any], Any] | None) -> slice:
    """The slice of ``sorted_`` that satisfies the sort-key condition."""
    keys, n = sorted_.keys, len(sorted_.keys)
    if comparison is None:
        return slice(0, n)
    cast = [v.cast_value for v in values]
    left = functools.partial(bisect.bisect_left, keys, key=key)
    right = functools.partial(bisect.bisect_right, keys, key=key)
    if comparison in ("=", "EQ"):
        return slice(left(cast[0]), right(cast[0]))
    if comparison in ("<", "LT"):
        return slice(0, left(cast[0]))
    if comparison in ("<=", "LE"):
        return slice(0, right(cast[0]))
    if comparison in (">", "GT"):
        return slice(right(cast[0]), n)
    if comparison in (">=", "GE"):
        return slice(left(cast[0]), n)
    if comparison == "BETWEEN" and len(cast) == 2 and cast[0] <= cast[1]:
        return slice(left(cast[0]), right(cast[1]))
    if comparison == "BEGINS_WITH" and isinstance(cast[0], str) and cast[0]:
        prefix = cast[0]
        if ord(prefix[-1]) < 0x10FFFF:
            return slice(left(prefix), left(prefix[:-1] + chr(ord(prefix[-1]) + 1)))
    raise _Broken(comparison)


def _reachable(
    sorted_: _Sorted, bounds: slice, start: Any, forward: bool, limit: int | None, key: Callable[[Any], Any] | None
) -> list[Any]:
    """The locators moto's loop can look at: after ``start`` (ExclusiveStartKey) in the query's
    direction, inside ``bounds``, at most Limit + 1 of them (the extra one decides
    LastEvaluatedKey), and the one just past ``bounds``, which moto reads (and skips) too."""
    lo, hi, n = bounds.start, bounds.stop, len(sorted_.keys)
    take = n if limit is None else limit + 1
    if forward:
        begin = lo if start is None else max(lo, bisect.bisect_right(sorted_.keys, start))
        end = min(hi, begin + take)
        extra = [end] if end == hi and hi < n else []
        return [sorted_.refs[i] for i in range(begin, max(begin, end))] + [sorted_.refs[i] for i in extra]
    end = hi if start is None else min(hi, bisect.bisect_left(sorted_.keys, start))
    begin = max(lo, end - take)
    extra = [lo - 1] if begin == lo and lo > 0 else []
    return [sorted_.refs[i] for i in extra] + [sorted_.refs[i] for i in range(begin, max(begin, end))]


def _fast_candidates(
    table: Any,
    hash_key: Any,
    range_comparison: str | None,
    range_objs: list[Any],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: bool,
    index_name: str | None,
    consistent_read: bool,
    hash_key_conditions: list[tuple[str, Any]] | None,
    range_key_conditions: list[tuple[str, str, list[Any]]] | None,
) -> list[Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    index = _index(table)
    if index is None or (limit is not None and limit < 1):
        raise _Broken("no index")
    start: Any = None
    if index_name is None:
        if hash_key is None or (range_key_conditions and len(range_key_conditions) > 1):
            raise _Broken("key condition")
        if range_key_conditions and range_key_conditions[0][0] != table.range_key_attr:
            raise _Broken("range attribute")
        sorted_ = index.parts.get(hash_key.cast_value, _Sorted())
        key = None
        if exclusive_start_key is not None:
            if DynamoType(exclusive_start_key[table.hash_key_attr]) != hash_key:
                raise _Broken("ExclusiveStartKey of another partition")
            start = DynamoType(exclusive_start_key[table.range_key_attr]).cast_value
    else:
        gsi = index.gsis.get(index_name)
        if gsi is None or consistent_read or not hash_key_conditions or len(hash_key_conditions) != 1:
            raise _Broken("index")
        (hash_attr, hash_value), ranges = hash_key_conditions[0], range_key_conditions or []
        if hash_attr != gsi.hash_attr or len(ranges) > 1 or (ranges and ranges[0][0] != gsi.range_attr):
            raise _Broken("index key condition")
        sorted_ = gsi.parts.get((hash_value.type, hash_value.cast_value), _Sorted())
        key = _first
        if exclusive_start_key is not None:
            if DynamoType(exclusive_start_key[gsi.hash_attr]) != hash_value:
                raise _Broken("ExclusiveStartKey of another partition")
            start = tuple(
                DynamoType(exclusive_start_key[a]).cast_value
                for a in (gsi.range_attr, table.hash_key_attr, table.range_key_attr)
            )
    bounds = _bounds(sorted_, range_comparison, range_objs, key)
    refs = _reachable(sorted_, bounds, start, scan_index_forward, limit, key)
    return [table.items[h][r] for h, r in refs]


def _first(key: tuple[Any, ...]) -> Any:
    return key[0]


def _query(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``Table.query`` with the candidates narrowed through the index (same signature)."""
    original = _ORIGINALS["Table.query"]
    names = (
        "hash_key",
        "range_comparison",
        "range_objs",
        "limit",
        "exclusive_start_key",
        "scan_index_forward",
        "projection_expressions",
        "index_name",
        "consistent_read",
        "filter_expression",
    )
    bound = dict(zip(names, args, strict=False))
    extra = {k: v for k, v in kwargs.items() if k not in names}
    filter_kwargs = {k: v for k, v in extra.items() if k not in ("hash_key_conditions", "range_key_conditions")}
    bound.update({k: v for k, v in kwargs.items() if k in names})
    if filter_kwargs or len(args) > len(names):  # legacy QueryFilter: moto counts and limits differently
        return original(self, *args, **kwargs)
    try:
        with _INDEX_LOCK:
            candidates = _fast_candidates(
                self,
                bound.get("hash_key"),
                bound.get("range_comparison"),
                bound.get("range_objs") or [],
                bound.get("limit"),
                bound.get("exclusive_start_key"),
                bound.get("scan_index_forward", True),
                bound.get("index_name"),
                bound.get("consistent_read", False),
                extra.get("hash_key_conditions"),
                extra.get("range_key_conditions"),
            )
    except (_Broken, KeyError, TypeError):
        return original(self, *args, **kwargs)
    return original(_Candidates(self, candidates), *args, **kwargs)


# ---------------------------------------------------------------- keeping the index in step


def _put_item(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    result = _ORIGINALS["Table.put_item"](self, item_attrs, *args, **kwargs)
    if self.range_key_attr:
        _sync(self, DynamoType(item_attrs[self.hash_key_attr]), DynamoType(item_attrs[self.range_key_attr]))
    return result


def _delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
    result = _ORIGINALS["Table.delete_item"](self, hash_key, range_key)
    if result is not None:
        _sync(self, hash_key, range_key)
    return result


def _update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        return _ORIGINALS["DynamoDBBackend.update_item"](self, table_name, key, *args, **kwargs)
    finally:
        # Even when it raised: moto may have changed the item in place before a late error.
        table = self.tables.get(table_name)
        keyed = table is not None and table.range_key_attr and isinstance(key, dict)
        if keyed and table.hash_key_attr in key and table.range_key_attr in key:
            _sync(table, DynamoType(key[table.hash_key_attr]), DynamoType(key[table.range_key_attr]))


# ---------------------------------------------------------------- TransactWriteItems


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's ``DynamoDBBackend.transact_write_items`` with an undo log of the touched items
    instead of ``copy.deepcopy`` of every table named (O(items in the transaction), not O(table))."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models.dynamo_type import DynamoType

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, the item before or None)
    # A table's stream records before the transaction: a cancelled one leaves none (no event
    # for a change that never committed, issue 19), as moto's own copy-and-restore does.
    streams: dict[int, tuple[Any, int]] = {}

    def remember(table_name: str, key: dict[str, Any]) -> None:
        table = self.tables.get(table_name)
        if table is None or table.hash_key_attr not in key:
            return
        hash_dt = DynamoType(key[table.hash_key_attr])
        range_dt = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
        shard = getattr(table, "stream_shard", None)
        if shard is not None:
            streams.setdefault(id(table), (shard, len(shard.items)))
        before = table.get_item(hash_dt, range_dt) if (range_dt is not None or not table.range_key_attr) else None
        undo.append((table, hash_dt, range_dt, copy.deepcopy(before)))

    def rollback() -> None:
        for shard, length in streams.values():
            del shard.items[length:]
        for table, hash_dt, range_dt, before in reversed(undo):
            if range_dt is None:
                if before is None:
                    table.items.pop(hash_dt, None)
                else:
                    table.items[hash_dt] = before
                continue
            if before is None:
                table.items.get(hash_dt, {}).pop(range_dt, None)
            else:
                table.items[hash_dt][range_dt] = before
            _sync(table, hash_dt, range_dt)

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            check_unicity(table_name, key)
            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if op_type != "ConditionCheck":
                remember(table_name, key)
            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            rollback()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # as moto: any other failure cancels, its class name the reason
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        rollback()
        raise TransactionCanceledException(errors)


# ---------------------------------------------------------------- item values in answers


def _wire(value: dict[str, Any]) -> dict[str, Any] | None:
    """An AttributeValue as DynamoDB JSON, or None when it holds anything but the plain types
    (binary ones, unknown keys, odd Python types): moto's serializer handles those."""
    out: dict[str, Any] = {}
    for name, member in value.items():
        if member is None:
            continue
        if name in ("S", "N"):
            out[name] = member if type(member) is str else str(member)
        elif name in ("SS", "NS"):
            if type(member) is not list:
                return None
            out[name] = [m if type(m) is str else str(m) for m in member]
        elif name in ("BOOL", "NULL"):
            if type(member) is not bool:
                return None
            out[name] = member
        elif name == "M":
            if type(member) is not dict:
                return None
            entries: dict[str, Any] = {}
            for key, inner in member.items():
                wired = _wire(inner) if type(inner) is dict else None
                if wired is None:
                    return None
                entries[key] = wired
            out[name] = entries
        elif name == "L":
            if type(member) is not list:
                return None
            elements = []
            for inner in member:
                wired = _wire(inner) if type(inner) is dict else None
                if wired is None:
                    return None
                elements.append(wired)
            out[name] = elements
        else:
            return None
    return out


def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
    """moto 5.2 serializes an answer by walking the service model, and an AttributeValue is a
    structure of ten members, each looked up under several aliases: most of the time of a Query
    or GetItem went there (8 ms for ten small items). Items are already DynamoDB JSON in moto's
    backend, so an AttributeValue of the plain types is copied as moto's serializer would write it."""
    if key and shape.name == "AttributeValue" and type(value) is dict:
        wired = _wire(value)
        if wired is not None:
            serialized[self.get_serialized_name(shape, key)] = wired
            return
    _ORIGINALS["BaseJSONSerializer._serialize_type_structure"](self, serialized, value, shape, key)


# ---------------------------------------------------------------- install


_PATCHES: dict[str, tuple[str, str, Callable[..., Any]]] = {
    "Table.query": ("moto.dynamodb.models.table", "Table", _query),
    "Table.put_item": ("moto.dynamodb.models.table", "Table", _put_item),
    "Table.delete_item": ("moto.dynamodb.models.table", "Table", _delete_item),
    "DynamoDBBackend.update_item": ("moto.dynamodb.models", "DynamoDBBackend", _update_item),
    "DynamoDBBackend.transact_write_items": ("moto.dynamodb.models", "DynamoDBBackend", _transact_write_items),
    "BaseJSONSerializer._serialize_type_structure": (
        "moto.core.serialize",
        "BaseJSONSerializer",
        _serialize_type_structure,
    ),
}

# sha256 of moto 5.2.5's DynamoDBBackend.transact_write_items source, which _transact_write_items follows.
_MOTO_TRANSACT_SHA256 = "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4"
# What the patch relies on in moto's internals (checked before installing).
_REQUIRED_TABLE_ATTRS = ("items", "hash_key_attr", "range_key_attr", "global_indexes", "all_items", "name")


def compatible() -> list[str]:
    """Why the patch would not fit the installed moto (empty: it fits)."""
    import hashlib
    import importlib
    import inspect

    import moto

    problems = []
    if moto.__version__ != MOTO_VERSION:
        problems.append(f"moto {moto.__version__} is not the version the patch was checked against ({MOTO_VERSION})")
    from moto.dynamodb.models.table import Table

    source = inspect.getsource(original("Table.query"))  # moto's own, installed or not
    for needle in ("self.all_items()", "possible_results.sort(", "self.sorted_items("):
        if needle not in source:
            problems.append(f"Table.query no longer uses {needle}")
    for name, (module, cls, _) in _PATCHES.items():
        attr = name.split(".", 1)[1]
        if not hasattr(getattr(importlib.import_module(module), cls), attr):
            problems.append(f"{name} is gone")
    # _transact_write_items is moto's algorithm rewritten: any change to moto's needs a look.
    transact = inspect.getsource(original("DynamoDBBackend.transact_write_items"))
    if hashlib.sha256(transact.encode()).hexdigest() != _MOTO_TRANSACT_SHA256:
        problems.append("DynamoDBBackend.transact_write_items changed; compare it with _transact_write_items")
    init = inspect.getsource(Table.__init__)
    for attr in _REQUIRED_TABLE_ATTRS[:4]:
        if f"self.{attr}" not in init:
            problems.append(f"Table no longer sets self.{attr}")
    return problems


def installed() -> bool:
    return bool(_ORIGINALS)


def install() -> bool:
    """Patch moto's DynamoDB backend in this process (idempotent). False when moto does not fit,
    or when LOCAL_DYNAMO_FAST=off asks for moto as released (before/after comparisons)."""
    import importlib
    import os

    if os.environ.get("LOCAL_DYNAMO_FAST", "on").lower() == "off":
        return False
    with _INSTALL_LOCK:
        if _ORIGINALS:
            return True
        problems = compatible()
        if problems:
            log.warning("local DynamoDB speed-up not installed: %s", "; ".join(problems))
            return False
        for name, (module, cls, replacement) in _PATCHES.items():
            owner = getattr(importlib.import_module(module), cls)
            attr = name.split(".", 1)[1]
            _ORIGINALS[name] = getattr(owner, attr)
            setattr(owner, attr, replacement)
        return True


def uninstall() -> None:
    """Put moto's own methods back (tests compare the two)."""
    import importlib

    with _INSTALL_LOCK:
        for name, (module, cls, _) in _PATCHES.items():
            if name in _ORIGINALS:
                setattr(getattr(importlib.import_module(module), cls), name.split(".", 1)[1], _ORIGINALS.pop(name))


@contextlib.contextmanager
def moto_only() -> Iterator[None]:
    """moto's own Query, TransactWriteItems and answer serializer for the duration (tests compare answers). The
    wrappers that keep the index in step stay, so the index is right again afterwards."""
    import importlib

    swapped = ("Table.query", "DynamoDBBackend.transact_write_items", "BaseJSONSerializer._serialize_type_structure")
    with _INSTALL_LOCK:
        saved = {name: _ORIGINALS[name] for name in swapped if name in _ORIGINALS}
        for name, method in saved.items():
            module, cls, _ = _PATCHES[name]
            setattr(getattr(importlib.import_module(module), cls), name.split(".", 1)[1], method)
        try:
            yield
        finally:
            for name in saved:
                module, cls, replacement = _PATCHES[name]
                setattr(getattr(importlib.import_module(module), cls), name.split(".", 1)[1], replacement)


def original(name: str) -> Callable[..., Any]:
    """moto's own implementation of a patched method (for tests)."""
    if name in _ORIGINALS:
        return _ORIGINALS[name]
    import importlib

    module, cls, _ = _PATCHES[name]
    return getattr(getattr(importlib.import_module(module), cls), name.split(".", 1)[1])


def iter_patches() -> Iterator[str]:
    return iter(_PATCHES)
