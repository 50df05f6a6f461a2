"""How numbers read on the dashboards: values with their unit, money, percentages, probabilities.

Values stay Decimal until this point; these functions only decide how a leader reads them.
"""

from decimal import Decimal

from goals.display import chance, goal_unit, percent, signed_change, with_unit
from goals.models import Goal, GoalPeriod
from metrics.registry import get_metric

# How goals read values, used here too.
__all__ = ["chance", "goal_unit", "percent", "signed_change", "with_unit"]

NO_DATA = "no data"
ONE_PLACE = Decimal("0.1")

# What a metric's denominator counts, for the contribution sentence ("on $1.2M starting ARR").
# Counted words are (singular, plural).
DENOMINATOR_WORDS: dict[str, tuple[str | tuple[str, str], bool]] = {
    "nrr": ("starting ARR", True),
    "grr": ("starting ARR", True),
    "renewal_rate": (("decided renewal", "decided renewals"), False),
    "nps": (("response", "responses"), False),
    "qbr_completion": (("expected QBR", "expected QBRs"), False),
}


def metric_label(key: str) -> str:
    """The registry's label for a metric key; the key itself for a key no longer registered."""
    try:
        return get_metric(key).label
    except KeyError:
        return key


def metric_short_label(key: str) -> str:
    """A short name for tight spaces: NRR, GRR, NPS, else the registry label."""
    return key.upper() if key in {"nrr", "grr", "nps"} else metric_label(key)


def number(value: Decimal | None, places: int = 1) -> str:
    if value is None:
        return NO_DATA
    return f"{value:,.{places}f}"


def money(amount: Decimal | None) -> str:
    """$1.2M, $350K, $900: compact, for sentences."""
    if amount is None:
        return NO_DATA
    size = abs(amount)
    if size >= 1_000_000:
        return f"${amount / 1_000_000:,.1f}M"
    if size >= 1_000:
        return f"${amount / 1_000:,.0f}K"
    return f"${amount:,.0f}"


def denominator_words(metric_key: str, denominator: Decimal | None) -> str:
    """What the member's book holds for this metric: "$1.2M starting ARR", "14 responses",
    "1 decided renewal"."""
    words, is_money = DENOMINATOR_WORDS.get(metric_key, ("in the base", False))
    if isinstance(words, tuple):
        singular, plural = words
    else:
        singular = plural = words
    if denominator is None:
        return f"no {plural}"
    if is_money:
        return f"{money(denominator)} {plural}"
    return f"{denominator:,.0f} {singular if denominator == 1 else plural}"


NO_FORECAST = "too little movement to forecast"
PERIOD_NOUNS = {
    GoalPeriod.Type.MONTHLY: "months",
    GoalPeriod.Type.QUARTERLY: "quarters",
    GoalPeriod.Type.ANNUAL: "years",
}


def forecast_words(goal: Goal, unit: str) -> str:
    """The dashboard's short forecast: "Lands at 103.5% (80%: 101.2–105.8)", or why there is
    none."""
    if goal.forecast_value is None:
        return NO_FORECAST
    text = f"Lands at {with_unit(goal.forecast_value, unit)}"
    if has_band(goal):
        text += f" (80%: {number(goal.forecast_low)}–{number(goal.forecast_high)})"
    return text


def has_band(goal: Goal) -> bool:
    return (
        goal.forecast_low is not None
        and goal.forecast_high is not None
        and goal.forecast_low < goal.forecast_high
    )


def forecast_sentence(goal: Goal, unit: str, scale: Decimal = Decimal(1)) -> str:
    """The goal page's forecast in plain words: where it lands, what the band means, and the
    chances of the target and the stretch. `scale` turns the stored values into `unit` (a
    milestone goal's done weight into percent of its total weight)."""
    if goal.forecast_value is None:
        return f"Forecast: {NO_FORECAST} yet."

    def shown(value: Decimal) -> str:
        return with_unit(value * scale, unit)

    end = f"{goal.period.end:%-d %b}"
    text = f"Forecast: lands at {shown(goal.forecast_value)} on {end}."
    if has_band(goal):
        nouns = PERIOD_NOUNS.get(goal.period.period_type, "periods")
        text += (
            f" 8 in 10 {nouns} like this end between {shown(goal.forecast_low)} and "
            f"{shown(goal.forecast_high)}."
        )
    chances = []
    if goal.forecast_target_probability is not None:
        chances.append(f"{chance(goal.forecast_target_probability)} chance of reaching the target")
    if goal.forecast_stretch_probability is not None and goal.stretch_target is not None:
        chances.append(f"{chance(goal.forecast_stretch_probability)} of the stretch")
    if chances:
        text += " " + ", ".join(chances) + "."
    return text
