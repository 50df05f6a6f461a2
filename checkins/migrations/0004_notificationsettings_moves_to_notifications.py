# The notifications app owns NotificationSettings from now on (notifications/0001 takes over the
# model with its table, checkins_notificationsettings): only Django's record of the model moves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('checkins', '0003_support_request_email_failures'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='NotificationSettings')],
            database_operations=[],
        ),
    ]
