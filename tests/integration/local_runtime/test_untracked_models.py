"""The emulation's moto objects are not kept by moto's instance tracking (local/moto_overheads.py).

moto appends every model object it builds to a list on its class, for ever; in a long-running
emulation that list held every item and every copy of an item any call had made. Checked in a
child interpreter: the install changes moto for the whole process.
"""

from __future__ import annotations

import subprocess
import sys

_CHILD = """
from moto.dynamodb.models.dynamo_type import Item, DynamoType
from moto.sqs.models import Message
import local.moto_overheads as overheads

def built(count):
    for n in range(count):
        Item(DynamoType({"S": "pk"}), DynamoType({"S": str(n)}), {"pk": {"S": "pk"}, "sk": {"S": str(n)}})
        Message("id", "body")
    return len(Item.instances_tracked), len(Message.instances_tracked)

print(built(100))
overheads.install_lighter_requests()
print(built(100))
"""


def test_moto_keeps_no_object_the_emulation_has_dropped():
    answer = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    before, after = answer
    assert before == "(100, 100)"  # moto as shipped keeps them all
    assert after == "(100, 100)"  # none more once installed
