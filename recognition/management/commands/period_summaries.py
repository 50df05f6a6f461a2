from django.core.management.base import BaseCommand, CommandError

from goals.models import GoalPeriod
from goals_project.people.models import Team
from recognition.summaries import period_summaries_due, period_summary_build


class Command(BaseCommand):
    help = (
        "Build the summaries of completed periods that are missing and tell their teams (the "
        "daily beat job), or rebuild one team's summary of one period with --period and --team."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, help="goal period id (rebuild)")
        parser.add_argument("--team", help="team name (rebuild)")

    def handle(self, *args, period=None, team=None, **options):
        if period is None and team is None:
            built = period_summaries_due()
            self.stdout.write(self.style.SUCCESS(f"{len(built)} summary(ies) built or sent."))
            return
        if period is None or team is None:
            raise CommandError("--period and --team go together (rebuild one summary).")
        chosen_period = GoalPeriod.objects.filter(pk=period).first()
        if chosen_period is None:
            raise CommandError(f"--period: no goal period with id {period}.")
        chosen_team = Team.objects.filter(name__iexact=team).first()
        if chosen_team is None:
            raise CommandError(f"--team: no team named {team!r}.")
        summary = period_summary_build(period=chosen_period, team=chosen_team)
        data = summary.data
        self.stdout.write(
            self.style.SUCCESS(
                f"{chosen_team.name} · {chosen_period.name}: {data['goals_achieved']} of "
                f"{data['goals_total']} goals achieved ({data['achievement_rate'] or 'no data'}%)."
            )
        )
