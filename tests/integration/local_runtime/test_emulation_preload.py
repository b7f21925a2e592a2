"""The emulation processes share what moto loads: a process's first calls import and parse nothing
that the parent they are forked from has not loaded already (local/aws_server.py)."""

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

# In a process of its own, so that moto's lazily built state stays out of the test process.
FIRST_CALLS = """
import json, sys
import botocore.loaders
from local.aws_server import _load_shared_state

_load_shared_state()
parsed = []
load_file = botocore.loaders.JSONFileLoader.load_file
botocore.loaders.JSONFileLoader.load_file = lambda self, path: parsed.append(path) or load_file(self, path)
before = set(sys.modules)

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

client = Client(DomainDispatcherApplication(create_backend_app))
def call(service, target, body, version):
    headers = {
        "Host": "127.0.0.1",
        "X-Amz-Target": target,
        "Content-Type": f"application/x-amz-json-{version}",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=k/20261205/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=s",
    }
    answer = client.post("/", headers=headers, data=json.dumps(body))
    assert answer.status_code == 200, (target, answer.status_code, answer.get_data(as_text=True))

call("dynamodb", "DynamoDB_20120810.ListTables", {}, "1.0")
call("sqs", "AmazonSQS.ListQueues", {}, "1.0")
entry = {"Source": "s", "DetailType": "d", "Detail": "{}"}
call("events", "AWSEvents.PutEvents", {"Entries": [entry]}, "1.1")
print(json.dumps({"modules": sorted(set(sys.modules) - before), "parsed": parsed}))
"""


def test_first_calls_import_and_parse_nothing_the_fork_parent_has_not_loaded():
    finished = subprocess.run(
        [sys.executable, "-c", FIRST_CALLS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    loaded_late = json.loads(finished.stdout.strip().splitlines()[-1])
    assert loaded_late == {"modules": [], "parsed": []}
