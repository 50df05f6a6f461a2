import csv
import json

from django.core.management.base import BaseCommand

from metrics.importing import neutralise_cell
from metrics.management.dates import add_window_arguments, window
from metrics.registry import ALIASES, METRICS
from metrics.reports import export_rows

CSV_COLUMNS = ["metric", "scope_kind", "scope", "value", "numerator", "denominator"]


class Command(BaseCommand):
    help = (
        "Print every metric for every team and every user with a team over a window: JSON lines "
        "(metric, scope_kind, scope, value, numerator, denominator, contributions for teams) or "
        "CSV (contributions as a JSON object in the last column)."
    )

    def add_arguments(self, parser):
        add_window_arguments(parser)
        parser.add_argument(
            "--metric",
            action="append",
            dest="keys",
            default=[],
            choices=[*METRICS, *ALIASES],
            help="a metric key; repeat for several (default: all)",
        )
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")

    def handle(self, *args, keys, format, **options):
        start, end = window(options)
        rows = export_rows(start=start, end=end, keys=keys)
        if format == "jsonl":
            for row in rows:
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow([*CSV_COLUMNS, "contributions"])
        for row in rows:
            contributions = row.get("contributions")
            writer.writerow(
                [
                    row["metric"],
                    row["scope_kind"],
                    neutralise_cell(row["scope"]),  # a team name is text a spreadsheet could run
                    *(row[column] or "" for column in ("value", "numerator", "denominator")),
                    json.dumps(contributions, ensure_ascii=False) if contributions else "",
                ]
            )
