from checkins.digest import send_checkin_reminders
from checkins.management.weekly import WeeklyEmailCommand


class Command(WeeklyEmailCommand):
    help = "Remind members who have not checked in this week (once per member and week)."
    send = send_checkin_reminders
    noun = "reminder"
