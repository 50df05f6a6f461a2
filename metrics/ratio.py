"""A metric value as numerator / denominator, so that team values are sums over members."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Ratio:
    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)

    @property
    def value(self) -> Decimal | None:
        """The metric's value in percent (or NPS points); None when the denominator is empty."""
        if not self.denominator:
            return None
        return self.numerator / self.denominator * HUNDRED

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)
