"""The twin's shortcut for plain update expressions (local/dynamodb_updates.py) against moto's own path.

Each case applies one update to two copies of an item: one through moto's UpdateExpression machinery,
one through the AttributeUpdates the shortcut derives. Where the shortcut takes an expression, both
copies must end equal; where moto rejects an expression, the shortcut must have declined it.
"""

from __future__ import annotations

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from local.dynamodb_fidelity import dynamodb_backend, moto_update_item
from local.dynamodb_updates import attribute_updates

REGION = "us-east-1"
NAMES = ["count", "healthyCount", "status", "expiresAt", "name", "sourceId", "latencyMs", "tags"]
VALUES = st.one_of(
    st.builds(lambda n: {"N": str(n)}, st.integers(-1000, 1000)),
    st.builds(lambda s: {"S": s}, st.text("abc", max_size=3)),
    st.just({"BOOL": True}),
    st.just({"NULL": True}),
    st.just({"M": {"a": {"N": "1"}}}),
    st.just({"L": [{"S": "x"}]}),
    st.just({"SS": ["a", "b"]}),
)
ACTION = st.tuples(st.sampled_from(["ADD", "SET"]), st.sampled_from(NAMES), st.booleans(), VALUES)


def _expression(actions: list[tuple[str, str, bool, dict]]) -> tuple[str, dict, dict]:
    clauses: dict[str, list[str]] = {}
    names, values = {}, {}
    for n, (kind, name, aliased, value) in enumerate(actions):
        target = f"#n{n}" if aliased else name
        if aliased:
            names[target] = name
        values[f":v{n}"] = value
        clauses.setdefault(kind, []).append(f"{target} :v{n}" if kind == "ADD" else f"{target} = :v{n}")
    expression = " ".join(f"{kind} {', '.join(parts)}" for kind, parts in clauses.items())
    return expression, names, values


@pytest.fixture(scope="module")
def backend():
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        for table in ("expression", "shortcut"):
            client.create_table(
                TableName=table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
            )
        yield dynamodb_backend(REGION)


def _shortcut(backend, key: dict, expression: str, names: dict, values: dict) -> dict | None:
    """What the shortcut makes of the update on the "shortcut" table (None: declined)."""
    arguments = {
        "table_name": "shortcut",
        "key": key,
        "update_expression": expression,
        "expression_attribute_names": names,
        "expression_attribute_values": values,
    }
    return attribute_updates(backend, arguments)


def _item(backend, table: str, key: dict) -> dict | None:
    found = backend.get_item(table, key)
    return None if found is None else found.to_json()["Attributes"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    existing=st.one_of(st.none(), st.fixed_dictionaries({}, optional={n: VALUES for n in NAMES[:4]})),
    actions=st.lists(ACTION, min_size=1, max_size=5),
)
def test_the_shortcut_ends_where_moto_does(backend, existing, actions):
    key = {"pk": {"S": "case"}, "sk": {"S": "item"}}
    for table in ("expression", "shortcut"):
        backend.delete_item(table, key)
        if existing is not None:
            backend.put_item(table, key | {k: v for k, v in existing.items() if "NULL" not in v})
    expression, names, values = _expression(actions)
    updates = _shortcut(backend, key, expression, names, values)
    try:
        moto_update_item(backend, "expression", key, expression, names, values)
    except Exception as rejected:
        assert updates is None, f"moto rejects {expression!r} ({rejected!r}) but the shortcut took it"
        return
    if updates is None:
        return  # declined: moto's own path answers, as it just did
    moto_update_item(backend, "shortcut", key, None, names, values, attribute_updates=updates)
    assert _item(backend, "shortcut", key) == _item(backend, "expression", key), expression


def test_the_recorded_runs_aggregate_update_takes_the_shortcut(backend):
    """The update that made the shortcut worth having: one run's hourly aggregate."""
    key = {"pk": {"S": "AGG#s#c"}, "sk": {"S": "H#2026-12-04T14"}}
    names = {"#a0": "runCount", "#a1": "healthyCount", "#a2": "latencySumMs", "#start": "start"}
    values = {
        ":a0": {"N": "1"},
        ":a1": {"N": "1"},
        ":a2": {"N": "12.5"},
        ":expires": {"N": "1796400000"},
        ":start": {"S": "2026-12-04T14:00:00Z"},
        ":source": {"S": "local"},
    }
    expression = "ADD #a0 :a0, #a1 :a1, #a2 :a2 SET expiresAt = :expires, #start = :start, sourceId = :source"
    updates = _shortcut(backend, key, expression, names, values)
    assert updates is not None
    for _ in range(2):
        moto_update_item(backend, "expression", key, expression, names, values)
        moto_update_item(backend, "shortcut", key, None, names, values, attribute_updates=updates)
    shortcut = _item(backend, "shortcut", key)
    assert shortcut == _item(backend, "expression", key)
    assert shortcut["runCount"] == {"N": "2"} and shortcut["latencySumMs"] == {"N": "25.0"}
