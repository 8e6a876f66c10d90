"""The checks every problem's spec uses: one validator per kind of value.

A limit is declared once, as a `Limit` in the problem's `choices` module: the spec
check calls `limit.check(field, value)` and the catalogue publishes
`limit.to_json()`, so what the page offers and what the API accepts cannot drift
apart. Every failure is a `SpecError` naming the field, which the API turns into a
400 `{error, field}`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


class SpecError(ValueError):
    """A request field that cannot be accepted; the API turns it into 400 `{error, field}`."""

    def __init__(self, field: str, reason: str) -> None:
        if not field.strip():  # a JSON key can be "" or blank: still name it
            field = f"(unnamed field {field!r})"
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def whole_number(field: str, value: Any, low: int, high: int) -> int:
    """A JSON whole number within [low, high] (10.0 counts; 2.5, "10" and true do not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(field, f"must be a whole number from {low} to {high}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise SpecError(field, f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise SpecError(field, f"must be from {low} to {high}, got {value:g}")
    return int(value)


def number(field: str, value: Any, low: float, high: float) -> float:
    """A finite number within [low, high] (JSON numbers only; booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(field, f"must be a number from {low:g} to {high:g}")
    if not low <= value <= high:
        raise SpecError(field, f"must be from {low:g} to {high:g}, got {value:g}")
    return float(value)


def choice(field: str, value: Any, keys: tuple[str, ...] | list[str]) -> str:
    """One of a fixed list of string keys."""
    if not isinstance(value, str) or value not in keys:
        raise SpecError(field, f"must be one of {', '.join(keys)}")
    return value


def boolean(field: str, value: Any) -> bool:
    """A JSON true or false (not 0, 1 or "true")."""
    if not isinstance(value, bool):
        raise SpecError(field, "must be true or false")
    return value


def seed_text(field: str, value: Any, max_length: int) -> str:
    """A seed is any non-empty string (the classic playground's seeds are text)."""
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        raise SpecError(field, f'must be a string of 1 to {max_length} characters, e.g. "0.59"')
    return value


def new_seed() -> str:
    """A fresh seed string like the playground's ``Math.random().toFixed(5)``.

    "Regenerate" draws a new seed and puts it in the URL, so the seed is the
    whole of the data's identity; the format matches the playground's so its
    links and ours look alike. ``toFixed`` rounds halves up, hence Decimal.
    """
    value = Decimal(random.random()).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)
    return f"{value:.5f}"


@dataclass(frozen=True)
class Limit:
    """A range of accepted values, declared once: checked by the spec, published by the catalogue.

    `whole` limits take whole numbers; `step` is what a slider offers (the API takes
    any value in range); `slider_max` is where a slider ends when links may ask for
    more (the classic playground's noise slider stops at 50, its links go to 80);
    `default` is what a spec that leaves the field out gets.
    """

    min: float
    max: float
    step: float | None = None
    whole: bool = False
    default: float | None = None
    slider_max: float | None = None

    def check(self, field: str, value: Any) -> Any:
        if self.whole:
            return whole_number(field, value, int(self.min), int(self.max))
        return number(field, value, self.min, self.max)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"min": self.min, "max": self.max}
        if self.step is not None:
            out["step"] = self.step
        if self.slider_max is not None:
            out["sliderMax"] = self.slider_max
        if self.default is not None:
            out["default"] = self.default
        return out
