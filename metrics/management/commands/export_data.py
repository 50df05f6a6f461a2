from django.core.management.base import BaseCommand

from metrics.exporting import export_csv
from metrics.importing import KINDS


class Command(BaseCommand):
    help = (
        "Write every row of one kind as CSV in its import format (an export imports back "
        "unchanged). Text cells starting with = + - @ get a leading quote against formula "
        "injection; the import removes it."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("--output", "-o", help="a file to write (default: standard output)")

    def handle(self, *args, kind, output, **options):
        if output:
            with open(output, "w", encoding="utf-8", newline="") as stream:
                count = export_csv(kind, stream)
            self.stderr.write(f"{count} {kind} rows written to {output}.")
        else:
            export_csv(kind, self.stdout)
