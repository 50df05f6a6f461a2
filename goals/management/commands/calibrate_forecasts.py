from django.core.management.base import BaseCommand

from goals.calibration import calibration_refresh
from goals.models import ForecastCalibration


class Command(BaseCommand):
    help = (
        "Measure the forecast's calibration on the org's last closed quarters (the daily beat "
        "job, by hand): it rebuilds only when a quarter has closed since the last one, or with "
        "--force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild even if up to date")

    def handle(self, *args, force, **options):
        rebuilt = calibration_refresh(force=force)
        cells = ForecastCalibration.objects.count()
        through = ForecastCalibration.objects.values_list("through", flat=True).first()
        if not cells:
            self.stdout.write(
                "No calibration: too little customer data in the closed quarters; forecasts "
                "use normal errors."
            )
        else:
            state = "Rebuilt" if rebuilt else "Up to date"
            self.stdout.write(f"{state}: {cells} cells, measured through {through}.")
