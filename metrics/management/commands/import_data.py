from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from goals_project.progress_bars import command_progress
from metrics.importing import KINDS, ImportRejected, import_csv


class Command(BaseCommand):
    help = (
        "Import one CSV file of customer data (or users), all or nothing: a bad row rejects the "
        "whole file and every error is printed as FILE:ROW: column: reason. A large file shows "
        "its progress (rows checked and written) on stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file", help="a UTF-8 CSV file with a header row")

    def handle(self, *args, kind, file, verbosity=1, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: cannot read the file: {error.strerror}") from None
        progress = command_progress(self, verbosity=verbosity)
        try:
            result = import_csv(kind, data, source=file, progress=progress)
        except ImportRejected as rejected:
            progress.finish()
            for line in rejected.messages():
                self.stderr.write(line)
            raise CommandError(
                f"Nothing was imported: {len(rejected.errors)} error(s) in {file}."
            ) from None
        progress.finish()
        self.stdout.write(self.style.SUCCESS(result.summary()))
