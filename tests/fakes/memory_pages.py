"""Pages of an in-memory listing: items in id order, the cursor an opaque position (as the ByType index)."""

from __future__ import annotations

import base64
import copy

from shared.domain.errors import BadRequestError
from shared.domain.records import Page


def page_of(items: dict[str, dict], *, limit: int, cursor: str | None) -> Page:
    """The page after `cursor` of `items` sorted by key."""
    after = _decoded(cursor) if cursor else None
    ordered = [key for key in sorted(items) if after is None or key > after]
    chosen = ordered[:limit]
    more = len(ordered) > limit
    next_cursor = base64.urlsafe_b64encode(chosen[-1].encode()).decode() if more else None
    return Page([copy.deepcopy(items[key]) for key in chosen], next_cursor)


def _decoded(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError(
            "cursor is not valid for this list", [{"field": "query.cursor", "message": "invalid cursor"}]
        ) from None
