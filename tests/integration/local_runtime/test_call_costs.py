"""The emulation's cheaper per-call steps (local/dynamodb_call_costs.py) give moto's own results:
the same answer text, the same item sizes, the same request ids in the same places."""

from __future__ import annotations

import base64
import datetime
import json
from decimal import Decimal

import pytest
from moto.core.responses import BaseResponse
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from local.dynamodb_call_costs import _enrich_response, _size, wire_form
from local.moto_overheads import wire_value

NESTED = {
    "M": {
        "status": {"N": "200"},
        "headers": {"M": {"a": {"S": "b"}, "é": {"S": "ünï"}}},
        "list": {"L": [{"S": "x"}, {"N": "1.50"}, {"M": {"deep": {"BOOL": False}}}, {"NULL": True}]},
        "blob": {"B": b"\x00\x01binary"},
    }
}
ATTRIBUTES = {
    "pk": {"S": "RUNS#s#c1"},
    "sk": {"S": "00000001"},
    "count": {"N": "-12.250"},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "raw": {"B": b"\xffbytes"},
    "encoded": {"B": base64.b64encode(b"wire").decode()},
    "strings": {"SS": ["a", "bé"]},
    "numbers": {"NS": ["1", "22.5"]},
    "blobs": {"BS": [b"\x01", "AQ=="]},
    "empty": {"L": []},
    "result": NESTED,
}


def _item() -> Item:
    return Item(DynamoType(ATTRIBUTES["pk"]), DynamoType(ATTRIBUTES["sk"]), ATTRIBUTES)


def _old_answer(result: object) -> str:
    return json.dumps(result, default=wire_value, separators=(",", ":"))


def _new_answer(result: object) -> str:
    return json.dumps(wire_form(result), default=wire_value, separators=(",", ":"))


@pytest.mark.parametrize(
    "result",
    [
        {"Items": [_item().attrs, _item().attrs], "Count": 2, "ScannedCount": 2},
        {"Attributes": _item().attrs, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}},
        {"Responses": {"t": [_item().attrs]}, "UnprocessedKeys": {}},
        {"Items": [], "LastEvaluatedKey": {"pk": DynamoType({"S": "p"}), "sk": DynamoType({"S": "s"})}},
        {"Item": _item(), "When": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC), "N": Decimal("1.5")},
        {"Tuple": (DynamoType(NESTED), 1), "Plain": {"M": {"x": {"S": "y"}}}},
    ],
)
def test_answers_read_as_the_attribute_by_attribute_writer_wrote_them(result):
    assert _new_answer(result) == _old_answer(result)


def test_wire_form_copies_what_a_later_write_changes():
    item = _item()

    copied = wire_form(item.attrs)
    item.attrs["strings"].value.append("c")
    item.attrs["result"].value["status"] = DynamoType({"N": "500"})

    assert copied["strings"] == {"SS": ["a", "bé"]}
    assert copied["result"]["M"]["status"] == {"N": "200"}


def test_sizes_are_moto_sizes():
    # given moto's own measure (not replaced in this process: only the emulation's server installs)
    assert DynamoType.size is not _size
    item = _item()

    # then every attribute, and so the item, measures the same
    for name, value in item.attrs.items():
        assert _size(value) == value.size(), name
    assert sum(len(name.encode()) + _size(value) for name, value in item.attrs.items()) == item.size()


def test_request_ids_go_where_moto_puts_them():
    xml = "<Response><RequestId>old</RequestId></Response>"
    for body in ('{"__type": "x"}', xml, b"<RequestId>bytes</RequestId>", ""):
        ours_headers, ours = _enrich_response({"status": 400}, body)
        moto_headers, theirs = BaseResponse._enrich_response({"status": 400}, body)

        assert ours_headers.keys() == moto_headers.keys()
        assert ours_headers["status"] == moto_headers["status"] == "400"
        request_id = ours_headers["x-amzn-requestid"]
        if body == xml:
            assert ours == f"<Response><RequestId>{request_id}</RequestId></Response>"
            assert theirs == ours.replace(request_id, moto_headers["x-amzn-requestid"])
        else:
            assert ours == theirs == body
