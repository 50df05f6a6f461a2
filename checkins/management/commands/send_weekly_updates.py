from checkins.digest import send_weekly_updates
from checkins.management.weekly import WeeklyEmailCommand


class Command(WeeklyEmailCommand):
    help = (
        "Send the weekly digests (members: their goals; leads: their team) that were not sent "
        "yet. Running it again sends nothing twice."
    )
    send = send_weekly_updates
    noun = "digest"
