"""Window arguments shared by the metric commands."""

import argparse
from datetime import date

from django.core.management.base import CommandError


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD.") from None


def add_window_arguments(parser) -> None:
    parser.add_argument("--start", required=True, type=iso_date, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=iso_date, help="last day, YYYY-MM-DD")


def window(options) -> tuple[date, date]:
    start, end = options["start"], options["end"]
    if end < start:
        raise CommandError(f"--end {end} is before --start {start}.")
    return start, end
