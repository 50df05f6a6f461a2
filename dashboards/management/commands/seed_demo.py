"""`manage.py seed_demo`: the demo organisation, built by each app's demo module in layer order.

It lives in dashboards, the top app, because it is the one place that imports every app's demo
(people, metrics, goals, check-ins, recognition, dashboards); no lower app imports a higher one
for the demo.
"""

from django.core.management.base import BaseCommand

from checkins.demo import seed_checkins
from dashboards.demo import seed_dashboards
from goals.demo import seed_goals
from goals_project.people.demo import DEMO_PASSWORD, seed_people
from goals_project.progress_bars import command_progress
from metrics.demo import seed_customer_data
from notifications.services import emails_suppressed
from recognition.demo import seed_recognition


class Command(BaseCommand):
    help = (
        "Build the demo CS organisation. Running it again changes nothing. Shows its progress "
        "(the step it is on) on stderr."
    )

    def handle(self, *args, verbosity=1, **options):
        progress = command_progress(self, verbosity=verbosity)
        steps = [
            ("people and teams", seed_people),
            ("customer data", seed_customer_data),
            # Goals next: periods, cascades and manual progress, calculated with backfilled
            # history, and the forecast calibrated on the demo's two years.
            ("goals, their history and forecasts", seed_goals),
            # Check-ins go last: they check in on the demo goals seeded before them.
            ("check-ins", seed_checkins),
            # Recognition reads the goals and check-ins: wins, kudos, badges, period summaries.
            ("recognition", seed_recognition),
            # Leaderboards on for two teams, and weeks of dashboard use for program health.
            ("dashboards", seed_dashboards),
        ]
        done = {}
        # The demo's wins and badges show in the notification centre but are not emailed.
        with emails_suppressed():
            progress.start("Loading the demo", len(steps))
            for step, (name, seed) in enumerate(steps):
                progress.update(step, note=name)
                done[seed] = seed()
            progress.update(len(steps))
        progress.finish()
        logins = done[seed_people]
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Demo logins (password: demo):"))
        for email, description in logins:
            self.stdout.write(f"  {email:<34} {description}")
        self.stdout.write(f"Every demo user's password is '{DEMO_PASSWORD}'.")
