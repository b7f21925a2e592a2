"""What DynamoDB can store: numbers of at most 38 significant digits within its exponent range,
documents nested at most 32 levels, no NaN or Infinity. Checked at the edges so that nothing
accepted can later fail a write (or every read of a list)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

MAX_NESTING = 32
MAX_DIGITS = 38
_SMALLEST = Decimal("1E-130")
_LARGEST = Decimal("9.9999999999999999999999999999999999999E+125")


class StorableNumberError(ValueError):
    pass


def check_storable_number(number: Decimal) -> None:
    if not number.is_finite():
        raise StorableNumberError("NaN and Infinity are not numbers DynamoDB can store")
    if number.is_zero():
        return
    # Significant digits without rounding (normalize() would round to the context's 28 digits).
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    if len(digits) > MAX_DIGITS:
        raise StorableNumberError(f"more than {MAX_DIGITS} significant digits")
    if not _SMALLEST <= abs(number) <= _LARGEST:
        raise StorableNumberError("out of the range DynamoDB can store (1E-130 to 1E+126)")


def nesting_depth(document: Any) -> int:
    """Levels of lists and objects (a scalar is 0), walked without recursion."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            return depth
        pending.extend((child, depth + 1) for child in children)
    return deepest


def storable_problem(document: Any) -> str | None:
    """Why `document` cannot be stored as it is, or None."""
    if nesting_depth(document) > MAX_NESTING:
        return f"nested deeper than {MAX_NESTING} levels"
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
        elif isinstance(value, float) and not math.isfinite(value):
            return "NaN and Infinity are not numbers DynamoDB can store"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            try:
                check_storable_number(Decimal(str(value)) if isinstance(value, float) else Decimal(value))
            except StorableNumberError as error:
                return f"a number {error}"
    return None


def storable(document: Any) -> Any:
    """A pydantic validator: refuse what DynamoDB cannot store."""
    problem = storable_problem(document)
    if problem is not None:
        raise ValueError(problem)
    return document
