"""moto's per-request overheads that this workload pays on every call, cut to what the call needs.

Measured with py-spy in the emulation process under `make soak` (about 60 % of its CPU):
- DynamoDB answers go through moto's generic, model-driven serializer, which walks every attribute
  of every item through the service model, after a first walk that converts them to plain dicts
  for it; the data-plane answers are already the wire's JSON (`Item.to_json`), so they are written
  with `json.dumps`, and converted only when an answer does take the generic path.
- Every `PutEvents` matched against a rule with a queue target builds a new JSONPath parser (its
  grammar tables included) for the default input paths; parsed paths are kept.
- Every request lists moto's package directory to tell a service name from a host; it is read once.
- Every item built (each put, each transaction's put) re-measured the whole item for each attribute
  it set, to enforce the 400 KB limit: quadratic in the attributes, a third of a transaction's
  time on the check items. An item is measured once, when all its attributes are in.
- Every request lists the response class's methods (`inspect.getmembers`); the list is kept.
- Every Query copies its result items (`copy.deepcopy`) before answering, in case something changes
  them; here the answer is written before the call lets go of the emulation's lock, and nothing
  changes a result item, so the list is copied and the items are not (6 % of the emulation's CPU).
- Every model object moto builds (each item, each copy of an item a call makes, each queue message)
  is appended to a list on its class, for moto's own model-listing API and test resets, and never
  leaves it: ~15 KB a call, the emulation's whole growth under the soak (90 MB a minute). The
  emulation uses neither, so its objects are not tracked.
Plain ADD/SET update expressions skip moto's expression machinery: `local.dynamodb_updates`.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import threading
from decimal import Decimal
from typing import Any

_installed = threading.Lock()

# The operations whose answers are items (or nothing): their results are plain JSON already.
DYNAMODB_DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


def wire_value(value: Any) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    if isinstance(value, DynamoType):
        return value.to_json()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "to_json"):  # an item, as moto's own conversion reads it
        return value.to_json()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _install_dynamodb_answers() -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.models.utilities import dynamo_to_dict
    from moto.dynamodb.responses import DynamoResult

    serialize = ActionResult.execute_result

    def keep_result(self: DynamoResult, result: object) -> None:
        # moto converts every answer's items to plain dicts here, for the generic serializer only.
        ActionResult.__init__(self, result)

    def execute_result(self: ActionResult, context: Any) -> Any:
        result = self.result
        if (
            context.service_model.service_name == "dynamodb"
            and context.operation_model.name in DYNAMODB_DATA_PLANE
            and isinstance(result, dict)
        ):
            try:
                body = json.dumps(result, default=wire_value, separators=(",", ":"))
            except (TypeError, ValueError):
                pass
            else:
                return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        if isinstance(self, DynamoResult):
            self._result = dynamo_to_dict(result)
        return serialize(self, context)

    DynamoResult.__init__ = keep_result  # type: ignore[method-assign]
    ActionResult.execute_result = execute_result  # type: ignore[method-assign]


def _install_items_measured_once() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    def item_init(self: Item, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        self.attrs = LimitedSizeDict()
        converted = {key: DynamoType(value) for key, value in attrs.items()}
        # moto's own limit and arithmetic (LimitedSizeDict), applied once to the whole item.
        if sum(bytesize(key) + value.size() for key, value in converted.items()) > 405_000:
            raise ItemSizeTooLarge
        dict.update(self.attrs, converted)

    Item.__init__ = item_init  # type: ignore[method-assign]


def _install_cached_json_paths() -> None:
    import jsonpath_ng.ext

    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)


def _install_module_list_once() -> None:
    from moto import backends

    modules = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]


def _install_method_names_once() -> None:
    # moto lists a response class's methods with inspect.getmembers on every request (~1 ms)
    from moto.core import responses

    responses.method_names_from_class = functools.lru_cache(maxsize=None)(responses.method_names_from_class)


def _install_untracked_models() -> None:
    from moto.core.common_models import BaseModel

    def untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    BaseModel.__new__ = staticmethod(untracked_new)  # type: ignore[method-assign,assignment]


def _install_query_results_uncopied() -> None:
    import copy
    import types

    from moto.dynamodb.models import table
    from moto.dynamodb.models.dynamo_type import Item

    def deepcopy(value: Any, memo: Any = None) -> Any:
        if type(value) is list and all(type(item) is Item for item in value):
            return list(value)  # Table.query's results, answered under the lock as they are
        return copy.deepcopy(value, memo)

    table.copy = types.SimpleNamespace(copy=copy.copy, deepcopy=deepcopy)  # type: ignore[assignment]


def install_lighter_requests() -> None:
    """Cut the per-request overheads above (idempotent: installs once per process)."""
    with _installed:
        if getattr(install_lighter_requests, "done", False):
            return
        _install_dynamodb_answers()
        _install_items_measured_once()
        _install_cached_json_paths()
        _install_module_list_once()
        _install_method_names_once()
        _install_untracked_models()
        _install_query_results_uncopied()
        install_lighter_requests.done = True  # type: ignore[attr-defined]
