from django.core.management.base import BaseCommand

from checkins.demo import seed_checkins
from dashboards.demo import seed_dashboards
from goals.demo import seed_goals
from goals_project.people.demo import DEMO_PASSWORD, seed_people
from metrics.demo import seed_customer_data
from recognition.demo import seed_recognition
from recognition.notifications import emails_suppressed


class Command(BaseCommand):
    help = "Build the demo CS organisation. Running it again changes nothing."

    def handle(self, *args, **options):
        logins = seed_people()
        # The demo's wins and badges show in the notification centre but are not emailed.
        with emails_suppressed():
            seed_customer_data()
            # Goals next: periods, cascades and manual progress, calculated with backfilled history.
            seed_goals()
            # Check-ins go last: they check in on the demo goals seeded before them.
            seed_checkins()
            # Recognition reads the goals and check-ins: wins, kudos, badges, period summaries.
            seed_recognition()
            # Leaderboards on for two teams, and weeks of dashboard use for program health.
            seed_dashboards()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Demo logins (password: demo):"))
        for email, description in logins:
            self.stdout.write(f"  {email:<34} {description}")
        self.stdout.write(f"Every demo user's password is '{DEMO_PASSWORD}'.")
