# The notifications app owns Notification from now on (notifications/0001 takes over the model
# with its table, recognition_notification): only Django's record of the model moves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('recognition', '0003_private_goal_texts_and_email_failures'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Notification')],
            database_operations=[],
        ),
    ]
