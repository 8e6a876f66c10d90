"""Request bodies as JSON, nested no deeper than any spec needs.

Python's JSON parser recurses once per level, so a body of a few thousand `[` raises
`RecursionError` (a 500 if let through), and a value nested just under that limit would
make the first recursive function that walks it fail the same way. No spec, PATCH or edit
nests deeper than a few levels, so a body nested deeper than `MAX_NESTING` is a 400.
"""

from __future__ import annotations

import json
from typing import Any

from server.problems.playground.spec import SpecError

MAX_NESTING = 32


def nesting(value: Any) -> int:
    """How many lists and objects deep `value` goes (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_body(data: bytes) -> Any:
    """The body as JSON; an empty body is an empty object (every field has a default)."""
    if not data.strip():
        return {}
    too_deep = SpecError("body", f"the request body is nested more than {MAX_NESTING} "
                         "levels deep")
    try:
        value = json.loads(data)
    except RecursionError:
        raise too_deep from None
    except (ValueError, UnicodeDecodeError) as error:
        raise SpecError("body", f"the request body is not valid JSON ({error})") from error
    if nesting(value) > MAX_NESTING:
        raise too_deep
    return value
