"""Capacity units and list prices: what the calls a bench counted would cost on AWS.

`CapacityMeter(client, reader)` hooks a boto3 DynamoDB client (on moto) and charges every call the
request units DynamoDB on-demand bills for it, from the sizes of the items it reads or writes:
a write 1 unit per 1 KB of the item (the larger of before and after for an update, the item's size
for a delete), twice that inside a transaction; a strongly consistent read 1 unit per 4 KB (a
Query sums the items it returns; an eventually consistent read costs half). `reader` is a second
client on the same tables, unhooked, that looks items up for their sizes. Index writes are left
out: a run writes no indexed attribute (the scheduler's indexes change with assignments, not runs;
its share per run is measured on bench/fake_aws.py, which counts its own units).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

# us-east-1 list prices (USD), December 2026 pages; on-demand DynamoDB since the November 2024 cut.
PRICES = {
    "DynamoDB write request unit": 0.625 / 1e6,
    "DynamoDB read request unit": 0.125 / 1e6,
    "SQS request (64 KB)": 0.40 / 1e6,
    "EventBridge custom event (64 KB)": 1.00 / 1e6,
    "Lambda request": 0.20 / 1e6,
    "Lambda arm64 GB-second": 0.0000133334,
}


def item_size(item: dict) -> int:
    """DynamoDB's item size: attribute names plus their values (typed JSON as the API sends it)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return math.ceil(len(data.lstrip("-").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind in ("SS", "NS"):
        return sum(len(x) for x in data)
    raise ValueError(kind)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2


class CapacityMeter:
    """Counts calls and request units of a boto3 DynamoDB client (see the module docstring)."""

    def __init__(self, client: Any, reader: Any) -> None:
        self._reader = reader
        self.calls: Counter[str] = Counter()
        self.write_units = 0.0
        self.read_units = 0.0
        self.simulated_seconds = 0.0
        self._before: dict[int, list[int]] = {}
        client.meta.events.register(
            "before-parameter-build.dynamodb", self._before_call, unique_id="capacity-before"
        )
        client.meta.events.register("after-call.dynamodb", self._after_call, unique_id="capacity-after")

    def reset(self) -> None:
        self.calls.clear()
        self.write_units = self.read_units = self.simulated_seconds = 0.0

    def _size_of(self, table: str, key: dict) -> int:
        found = self._reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return item_size(found) if found else 0

    def _before_call(self, model: Any, params: dict, context: dict, **_: Any) -> None:
        from bench.latency import TYPICAL_LATENCY_MS

        self.calls[model.name] += 1
        context["capacity_params"] = params
        self.simulated_seconds += TYPICAL_LATENCY_MS.get(model.name, 5.0) / 1000
        # what an update or delete replaces is read before the call
        if model.name in ("UpdateItem", "DeleteItem"):
            context["capacity_before"] = [self._size_of(params["TableName"], params["Key"])]
        elif model.name == "TransactWriteItems":
            context["capacity_before"] = [
                self._size_of(op[kind]["TableName"], op[kind]["Key"]) if kind in ("Update", "Delete") else 0
                for op in params["TransactItems"]
                for kind in op
            ]

    def _after_call(self, model: Any, parsed: dict, context: dict, **_: Any) -> None:
        params = context.get("capacity_params")
        if params is None or parsed.get("Error"):
            return
        before = context.get("capacity_before", [])
        name = model.name
        if name == "PutItem":
            self.write_units += write_units(item_size(params["Item"]))
        elif name == "UpdateItem":
            after = self._size_of(params["TableName"], params["Key"])
            self.write_units += write_units(max(before[0], after))
        elif name == "DeleteItem":
            self.write_units += write_units(before[0])
        elif name == "TransactWriteItems":
            for (kind, op), replaced in zip(
                ((k, v) for o in params["TransactItems"] for k, v in o.items()), before, strict=True
            ):
                if kind == "Put":
                    size = item_size(op["Item"])
                elif kind == "Update":
                    size = max(replaced, self._size_of(op["TableName"], op["Key"]))
                elif kind == "Delete":
                    size = replaced
                else:  # ConditionCheck: billed as a read of the item
                    size = 0
                self.write_units += 2 * write_units(size)
        elif name == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    if "PutRequest" in request:
                        self.write_units += write_units(item_size(request["PutRequest"]["Item"]))
                    else:
                        self.write_units += 1
        elif name == "GetItem":
            found = parsed.get("Item")
            self.read_units += read_units(
                item_size(found) if found else 0, params.get("ConsistentRead", False)
            )
        elif name == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                consistent = params["RequestItems"][table].get("ConsistentRead", False)
                self.read_units += sum(read_units(item_size(i), consistent) for i in items)
        elif name in ("Query", "Scan"):
            size = sum(item_size(i) for i in parsed.get("Items", []))
            self.read_units += read_units(size, params.get("ConsistentRead", False))
