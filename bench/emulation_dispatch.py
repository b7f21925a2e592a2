"""The DynamoDB emulation's CPU per call: the lean path vs moto's server path, on the real server.

Two emulation processes (`local.aws_server.EmulationProcess`): one serving DynamoDB as moto's server
does, through its Flask application (`lean=False`, the twin before the lean path), one on the lean
path (moto's handler called directly, `local.dynamodb_dispatch`, with the per-call cuts of
`local.dynamodb_call_costs`), each with the template's table (pk/sk and its global secondary
indexes). Both get the calls a recorded run makes, through boto3 over HTTP, in alternating blocks of
the same size: a transaction with conditions (the run's idempotency marker, the run, the hour's
aggregate), a query of the check's runs, a batch read of a few items, an update with ADD and SET, and
a cancelled transaction now and then. The figure is the
server's CPU (user + system, from /proc) per call, and its time under the one-call lock per call (the
usage route's `busy`): same run, same machine, so the ratio is the figure.
Run: `python -m bench.emulation_dispatch`.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack, suppress

import boto3
from botocore.exceptions import ClientError

from bench.sizes import scaled
from bench.table import REPORT_ONLY, render, row
from local.aws_server import EmulationProcess
from local.template import TEMPLATE_PATH, load_template_document

ROUNDS = scaled(500, 4)  # a recorded run each: 4 calls, and a cancelled transaction every 10th
BLOCKS = scaled(10, 2)  # the two paths alternate, so a change of load touches both alike
CHECKS = 20
TABLE = "bench"
_REGION = "us-east-1"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_TABLE_PROPERTIES = ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes")


def _template_table() -> dict:
    """The template's table, as `local.emulation_setup` creates it (its GSIs included)."""
    properties = load_template_document(TEMPLATE_PATH)["Resources"]["HealthcheckTable"]["Properties"]
    return {name: properties[name] for name in _TABLE_PROPERTIES if name in properties}


def _client(endpoint_url: str):
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=_REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def _one_run(client, number: int) -> int:
    """The calls a recorded run makes; returns how many."""
    check = f"c{number % CHECKS}"
    runs = {"S": f"RUNS#s#{check}"}
    result = {"M": {"statusCode": {"N": "200"}, "headers": {"M": {"a": {"S": "b"}, "c": {"S": "d"}}}}}
    marker = {"pk": {"S": f"RUNID#{number}"}, "sk": {"S": "META"}}
    aggregate = {"pk": {"S": "AGG#s"}, "sk": {"S": f"hour#{number % 3}"}}
    transaction = [
        {"Put": {"TableName": TABLE, "Item": marker, "ConditionExpression": "attribute_not_exists(pk)"}},
        {
            "Put": {
                "TableName": TABLE,
                "Item": {"pk": runs, "sk": {"S": f"{number:08d}"}, "gsi1pk": {"S": "RUN"}, "result": result},
            }
        },
        {
            "Update": {
                "TableName": TABLE,
                "Key": aggregate,
                "UpdateExpression": "ADD runCount :one, healthyCount :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ]
    client.transact_write_items(TransactItems=transaction)
    calls = 1
    if number % 10 == 9:  # the same run recorded twice: cancelled by its marker's condition
        with suppress(ClientError):
            client.transact_write_items(TransactItems=transaction)
        calls += 1
    client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": runs},
        ScanIndexForward=False,
        Limit=20,
    )
    keys = [aggregate, marker, {"pk": {"S": f"CHECK#{check}"}, "sk": {"S": "META"}}]
    client.batch_get_item(RequestItems={TABLE: {"Keys": keys}})
    client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": f"CHECK#{check}"}, "sk": {"S": "META"}},
        UpdateExpression="ADD runs :one SET lastStatus = :status, lastRunAt = :at",
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":status": {"S": "healthy"},
            ":at": {"N": str(number)},
        },
    )
    return calls + 3


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime


class _Path:
    """One emulation process and what its calls cost so far."""

    def __init__(self, stack: ExitStack, lean: bool):
        self.process = EmulationProcess.start(
            _REGION, name=f"aws-bench-{'lean' if lean else 'flask'}", lean=lean
        )
        stack.callback(self.process.stop)
        self.client = _client(self.process.endpoint_url)
        self.client.create_table(TableName=TABLE, **_template_table())
        self.calls, self.cpu, self.wall, self.busy = 0, 0.0, 0.0, 0.0
        self.process.control("usage")

    def run(self, numbers: range) -> None:
        pid = self.process.pid
        assert pid is not None
        cpu, started = _cpu_seconds(pid), time.perf_counter()
        for number in numbers:
            self.calls += _one_run(self.client, number)
        self.wall += time.perf_counter() - started
        self.cpu += _cpu_seconds(pid) - cpu
        self.busy += sum(self.process.control("usage")["busy"].values())

    def per_call_ms(self, seconds: float) -> float:
        return seconds * 1000 / max(1, self.calls)


def rows() -> list[dict]:
    with ExitStack() as stack:
        flask, lean = _Path(stack, lean=False), _Path(stack, lean=True)
        size = max(1, ROUNDS // BLOCKS)
        for block in range(BLOCKS):
            numbers = range(block * size, (block + 1) * size)
            for path in (flask, lean) if block % 2 == 0 else (lean, flask):
                path.run(numbers)
    note = f"{lean.calls} calls on each path ({ROUNDS} recorded runs), the template's table, boto3 over HTTP"
    return [
        row(
            "DynamoDB emulation CPU ms per call (lean / Flask path)",
            lean.per_call_ms(lean.cpu),
            flask.per_call_ms(flask.cpu),
            REPORT_ONLY,
            False,
            note=note + "; server CPU from /proc (user + system)",
        ),
        row(
            "DynamoDB emulation ms under the lock per call (lean / Flask path)",
            lean.per_call_ms(lean.busy),
            flask.per_call_ms(flask.busy),
            REPORT_ONLY,
            False,
            note="the usage route's busy time",
        ),
        row(
            "DynamoDB call ms seen by the client (lean / Flask path)",
            lean.per_call_ms(lean.wall),
            flask.per_call_ms(flask.wall),
            REPORT_ONLY,
            False,
            note="one client, one call at a time: boto3's own time included",
        ),
    ]


if __name__ == "__main__":
    print(render(rows()))
