"""Plain update expressions applied without moto's expression machinery.

moto parses an UpdateExpression, then runs a validator that walks its syntax tree a dozen times and
an executor over it: ~15 ms of the emulation's CPU for one recorded run's aggregate update
(`ADD #a0 :a0, ... SET expiresAt = :expires, ...`), the largest cost of a run in the soak. An
expression made only of `ADD <name> <number>` and `SET <name> = <value>` on top-level attributes
means exactly what moto's own legacy `AttributeUpdates` (ADD / PUT) does, so it is handed to that
path instead. Anything else (paths, functions, arithmetic, REMOVE/DELETE, a reserved word used
plainly, a number added to a non-number, BOOL/NULL/binary values, a key attribute) goes to moto's
full path unchanged, errors included. tests/integration/local_runtime/test_plain_updates.py holds the
two paths to the same result.
"""

from __future__ import annotations

import inspect
import re
import threading
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

from local.dynamodb_fidelity import moto_update_item

_installed = threading.Lock()
_CLAUSE = re.compile(r"\s*(ADD|SET)\s+(.+?)(?=\s+(?:ADD|SET)\s+|\s*$)", re.IGNORECASE | re.DOTALL)
_ADD_ACTION = re.compile(r"\s*(#?\w+)\s+(:\w+)\s*")
_SET_ACTION = re.compile(r"\s*(#?\w+)\s*=\s*(:\w+)\s*")
_PUT_TYPES = frozenset({"S", "N", "M", "L", "SS", "NS"})
_RESERVED = frozenset(word.upper() for word in ReservedKeywords.get_reserved_keywords())


def install_plain_updates() -> None:
    """Route plain ADD/SET update expressions through moto's AttributeUpdates path (idempotent)."""
    with _installed:
        if getattr(install_plain_updates, "done", False):
            return
        previous = DynamoDBBackend.update_item  # moto's, or the partition-query wrapper of it
        signature = inspect.signature(moto_update_item)

        def update_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
            arguments = signature.bind(self, *args, **kwargs).arguments
            del arguments["self"]
            updates = attribute_updates(self, arguments)
            if updates is not None:
                arguments.update(update_expression=None, attribute_updates=updates)
            return previous(self, **arguments)

        DynamoDBBackend.update_item = update_item
        install_plain_updates.done = True  # type: ignore[attr-defined]


def attribute_updates(backend: DynamoDBBackend, arguments: dict[str, Any]) -> dict[str, Any] | None:
    """The expression as AttributeUpdates, or None where moto's full path must judge it."""
    expression = arguments.get("update_expression")
    if not expression or arguments.get("attribute_updates") or arguments.get("expected"):
        return None
    names = arguments.get("expression_attribute_names") or {}
    values = arguments.get("expression_attribute_values") or {}
    actions = _actions(expression)
    if actions is None:
        return None
    table = backend.tables.get(arguments["table_name"])
    if table is None:
        return None
    current = _current_attributes(table, arguments["key"])
    if current is None:
        return None
    updates: dict[str, Any] = {}
    for action, target, placeholder in actions:
        name = _name(target, names)
        value = values.get(placeholder)
        if name is None or value is None or name in updates or name in table.attribute_keys:
            return None
        (value_type,) = value.keys() if len(value) == 1 else (None,)
        if action == "ADD":
            existing = current.get(name)
            if value_type != "N" or (existing is not None and existing.type != "N"):
                return None
            updates[name] = {"Action": "ADD", "Value": value}
        elif value_type in _PUT_TYPES and value[value_type] != []:
            updates[name] = {"Action": "PUT", "Value": value}
        else:
            return None
    return updates


def _actions(expression: str) -> list[tuple[str, str, str]] | None:
    """(ADD|SET, target, placeholder) for each action, or None if the expression is not plain."""
    clauses = _CLAUSE.findall(expression)
    if not clauses or _squeezed("".join(k + b for k, b in clauses)) != _squeezed(expression):
        return None
    kinds = [kind.upper() for kind, _ in clauses]
    if len(set(kinds)) != len(kinds):
        return None
    found = []
    for kind, body in clauses:
        pattern = _ADD_ACTION if kind.upper() == "ADD" else _SET_ACTION
        for part in body.split(","):
            matched = pattern.fullmatch(part)
            if matched is None:
                return None
            found.append((kind.upper(), matched.group(1), matched.group(2)))
    return found


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _name(target: str, names: dict[str, str]) -> str | None:
    if target.startswith("#"):
        return names.get(target)
    return None if target.upper() in _RESERVED else target


def _current_attributes(table: Any, key: dict[str, Any]) -> dict[str, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_value = key.get(table.hash_key_attr)
    if hash_value is None:
        return None
    range_value = key.get(table.range_key_attr) if table.range_key_attr else None
    try:
        item = table.get_item(DynamoType(hash_value), DynamoType(range_value) if range_value else None)
    except Exception:  # a malformed key: moto's full path answers it
        return None
    return {} if item is None else item.attrs
