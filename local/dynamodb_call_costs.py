"""What moto spends inside a DynamoDB call beyond the call's own work, cut to the same result.

Measured on the emulation's server (bench/emulation_dispatch.py), the calls of a recorded run:
- Answers: the data-plane answers are JSON of items held as `DynamoType` trees; `json.dumps` met each
  attribute as an unknown object and called back into Python for it (~50 µs an item, a query of
  twenty items ~1 ms). Here the items are turned into their wire form in one walk and dumped in C:
  the same text (the old writer stays the fallback for whatever the walk leaves alone).
- Item sizes: every Query measures each item it returns twice (its 1 MB page limit), and moto's
  `DynamoType.size` re-wraps every value of a map in a new `DynamoType` (recursively) to measure it.
  Here the same sum is taken over the values as they are.
- Request ids: every answer runs a regular expression over the whole body, to put the request id
  in an XML `<RequestId>` element a JSON body never has; it runs only when the element is there.
- Expressions: a transaction's condition is parsed three times (the handler's validation, the
  transaction's check, the put's check), and the handler parses each update expression only to list
  its placeholders: 40-100 µs a parse, while a workload sends the same few expressions. A condition
  is parsed once per (expression, names, values), and the handler's read-only update syntax tree
  once per expression; moto's update path, which changes its tree, still parses its own.
- UpdateItem: the handler deep-copies the item it is about to update only to take its JSON right
  away (`Item.to_json`, which copies maps, lists and sets itself); the JSON is taken from the item.
Installed by the emulation's server with its direct DynamoDB path (`local.dynamodb_dispatch`).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import threading
import types
from typing import Any

from moto.core import responses
from moto.core.responses import ActionResult, BaseResponse
from moto.dynamodb import comparisons, models
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

try:  # moto >= 5.2.6 measures a number as DynamoDB stores it; earlier releases by its text
    from moto.dynamodb.models.utilities import number_size
except ImportError:  # pragma: no cover - the older moto the range still admits

    def number_size(val: str) -> int:
        return len(val)


from local.moto_overheads import DYNAMODB_DATA_PLANE, wire_value

_installed = threading.Lock()
_SETS = frozenset({"SS", "NS", "BS"})
_REQUEST_ID = re.compile(r"(?<=<RequestId>).*(?=<\/RequestId>)")


def wire_form(value: Any) -> Any:
    """`value` with every `DynamoType` in it as its wire JSON ({type: value}), in new containers."""
    kind = type(value)
    if kind is DynamoType:
        attribute_type, inner = value.type, value.value
        if attribute_type == "M":
            return {attribute_type: {key: wire_form(member) for key, member in inner.items()}}
        if attribute_type == "L":
            return {attribute_type: [wire_form(member) for member in inner]}
        if attribute_type in _SETS:
            return {attribute_type: list(inner)}
        if attribute_type == "B" and isinstance(inner, bytes):
            return {attribute_type: base64.b64encode(inner).decode("utf-8")}
        return {attribute_type: inner}
    if kind is dict or kind is LimitedSizeDict:
        return {key: wire_form(member) for key, member in value.items()}
    if kind is list:
        return [wire_form(member) for member in value]
    return value


def _install_answers_in_one_walk() -> None:
    execute_result = ActionResult.execute_result

    def one_walk(self: ActionResult, context: Any) -> Any:
        result = self.result
        if (
            isinstance(result, dict)
            and context.operation_model.name in DYNAMODB_DATA_PLANE
            and context.service_model.service_name == "dynamodb"
        ):
            try:
                body = json.dumps(wire_form(result), default=wire_value, separators=(",", ":"))
            except (TypeError, ValueError, AttributeError):
                pass  # the previous writer's turn: it falls back to moto's serializer
            else:
                return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return execute_result(self, context)

    ActionResult.execute_result = one_walk  # type: ignore[method-assign]


def _size(self: DynamoType) -> int:
    """moto's `DynamoType.size`, without a new `DynamoType` around each member of a map."""
    attribute_type, value = self.type, self.value
    if attribute_type == "N":
        return number_size(str(value))
    if attribute_type in _SETS:
        member_type = attribute_type[0]
        return sum(number_size(str(member)) if member_type == "N" else bytesize(member) for member in value)
    if attribute_type == "L":
        return sum(member.size() for member in value)
    if attribute_type == "M":
        return sum(bytesize(key) + _member(member).size() for key, member in value.items())
    if isinstance(value, bool):
        return 1
    return bytesize(value)


def _member(value: Any) -> DynamoType:
    return value if type(value) is DynamoType else DynamoType(value)


def _enrich_response(headers: dict[str, Any], body: Any) -> tuple[dict[str, Any], Any]:
    """moto's `BaseResponse._enrich_response`, searching the body only when it has a request id."""
    if "status" in headers:
        headers["status"] = str(headers["status"])
    request_id = responses.gen_amzn_requestid_long(headers)
    if isinstance(body, str) and "<RequestId>" in body:
        body = _REQUEST_ID.sub(request_id, body)
    return headers, body


class _ParsedCondition:
    """A condition expression parsed once, answering as moto's parser does after `parse()`."""

    def __init__(self, parser: comparisons.ConditionExpressionParser):
        self.op = parser.parse()
        self.names_found = tuple(parser.expr_attr_names_found)
        self.values_found = tuple(getattr(parser, "expr_attr_values_found", ()))

    def parse(self) -> Any:
        return self.op  # evaluating an op reads it only

    @property
    def expr_attr_names_found(self) -> list[str]:
        return list(self.names_found)  # a new list: the handler extends the one it gets

    @property
    def expr_attr_values_found(self) -> list[str]:
        return list(self.values_found)


_parsed_conditions: dict[str, _ParsedCondition] = {}
_PARSED_CONDITIONS_KEPT = 1024


def _condition_parser(expression: str | None, names: Any, values: Any) -> Any:
    """moto's `create_condition_expression_parser`, parsed once per expression, names and values."""
    if not expression:
        return comparisons.ConditionExpressionParser(expression, names, values)
    try:
        key = json.dumps([expression, names, values], sort_keys=True)
    except (TypeError, ValueError):  # binary values: parsed every time
        return comparisons.ConditionExpressionParser(expression, names, values)
    parsed = _parsed_conditions.get(key)
    if parsed is None:
        # Parsed from copies: the op keeps the values it was given. A bad expression raises here
        # every time, as it is never kept.
        parsed = _ParsedCondition(
            comparisons.ConditionExpressionParser(expression, copy.deepcopy(names), copy.deepcopy(values))
        )
        if len(_parsed_conditions) >= _PARSED_CONDITIONS_KEPT:
            _parsed_conditions.clear()
        _parsed_conditions[key] = parsed
    return parsed


class _HandlerUpdateExpressions:
    """The handler's `UpdateExpressionParser`: it only lists a tree's placeholders, so one tree a
    text serves every call (a bad expression raises every time: failures are not kept)."""

    make = staticmethod(functools.lru_cache(maxsize=1024)(dynamodb_responses.UpdateExpressionParser.make))


def _deepcopy_but_items(value: Any, memo: Any = None) -> Any:
    # The handler's one deep copy is of the item an UpdateItem changes, read at once with to_json.
    return value if type(value) is Item else copy.deepcopy(value, memo)


def install_cheaper_calls() -> None:
    """Cut the per-call costs above (idempotent: installs once per process)."""
    with _installed:
        if getattr(install_cheaper_calls, "done", False):
            return
        _install_answers_in_one_walk()
        DynamoType.size = _size  # type: ignore[method-assign]
        BaseResponse._enrich_response = staticmethod(_enrich_response)  # type: ignore[method-assign]
        comparisons.create_condition_expression_parser = _condition_parser
        models.create_condition_expression_parser = _condition_parser
        dynamodb_responses.create_condition_expression_parser = _condition_parser
        dynamodb_responses.UpdateExpressionParser = _HandlerUpdateExpressions  # type: ignore[misc]
        dynamodb_responses.copy = types.SimpleNamespace(copy=copy.copy, deepcopy=_deepcopy_but_items)  # type: ignore[assignment]
        install_cheaper_calls.done = True  # type: ignore[attr-defined]
