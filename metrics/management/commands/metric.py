import json

from django.core.management.base import BaseCommand, CommandError

from goals_project.people.models import Team, User
from metrics.management.dates import add_window_arguments, window
from metrics.reports import team_report, user_report


class Command(BaseCommand):
    help = (
        "Print a metric for a team or a user over an explicit window (both ends inclusive): "
        "the value with 4 decimals or 'no data'; --json adds numerator, denominator and, for a "
        "team, each member's contribution in points."
    )

    def add_arguments(self, parser):
        parser.add_argument("key", help="nrr, grr, renewal_rate (alias retention_rate), nps, ...")
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--team", help="team name (any case)")
        scope.add_argument("--user", help="user email (any case)")
        add_window_arguments(parser)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )

    def handle(self, *args, key, team, user, as_json, **options):
        start, end = window(options)
        try:
            if team is not None:
                scope = Team.objects.filter(name__iexact=team.strip()).first()
                if scope is None:
                    raise CommandError(f"--team: no team named {team!r}.")
                report = team_report(key, team=scope, start=start, end=end)
            else:
                scope = User.objects.filter(email__iexact=user.strip()).first()
                if scope is None:
                    raise CommandError(f"--user: no user with the email {user!r}.")
                report = user_report(key, user=scope, start=start, end=end)
        except KeyError as error:
            raise CommandError(error.args[0]) from None
        if as_json:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        else:
            self.stdout.write(report["value"] or "no data")
