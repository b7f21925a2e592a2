"""Conditional writes of many items in few calls: TransactWriteItems of up to 100, retrying the rest.

BatchWriteItem takes no condition, and the cache's guard is a condition on every write (a lease must be
free to take, a fill must still hold our lease). A transaction keeps each item's condition and reports
per item why it was cancelled, so one call covers up to 100 keys: the items whose condition failed are
answered, the items cancelled only because of them go again in the next round. A transaction costs
two write units an item, a single conditional write one: a lone write goes on its own.
"""

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

TRANSACT_LIMIT = 100
TRANSACT_ROUNDS = 3

# A write request: ("Put" | "Delete", the request as TransactWriteItems takes it).
Write = tuple[str, dict[str, Any]]
Call = Callable[..., dict[str, Any]]
Single = Callable[[str], tuple[bool, dict[str, Any] | None]]


def write_conditionally(call: Call, writes: Mapping[str, Write], single: Single) -> dict[str, dict | None]:
    """Apply every write whose condition holds; answer {key: the item that failed it (None if unknown)}.

    `call` sends one TransactWriteItems; `single` writes one key on its own and answers (applied, the item
    that failed it) (used for what three rounds of transactions left, so the number of calls stays
    bounded by ceil(n / 100) x 3 plus the rare leftovers).
    """
    failed: dict[str, dict | None] = {}
    pending = dict(writes)
    for _ in range(TRANSACT_ROUNDS):
        if len(pending) <= 1:
            break
        retry: dict[str, Write] = {}
        keys = list(pending)
        for start in range(0, len(keys), TRANSACT_LIMIT):
            chunk = keys[start : start + TRANSACT_LIMIT]
            reasons = _transact(call, [pending[key] for key in chunk])
            for key, reason in zip(chunk, reasons, strict=True):
                code = reason.get("Code", "None")
                if code == "ConditionalCheckFailed":
                    failed[key] = reason.get("Item")
                elif code != "Applied":
                    retry[key] = pending[key]
        pending = retry
    for key in pending:
        applied, item = single(key)
        if not applied:
            failed[key] = item
    return failed


def _transact(call: Call, writes: list[Write]) -> list[dict[str, Any]]:
    """One TransactWriteItems; the per-item reasons when cancelled, `Applied` for each when committed."""
    try:
        call("transact_write_items", TransactItems=[{kind: request} for kind, request in writes])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons") or []
        if len(reasons) != len(writes):
            # Cancelled without reasons per item (throttled as a whole): every item goes again.
            return [{"Code": "Retry"} for _ in writes]
        return reasons
    return [{"Code": "Applied"} for _ in writes]
