# Notification (from recognition) and NotificationSettings (from checkins) move here with their
# tables and rows: the models keep their db_table, so the database changes only by the new
# `data` column. Their content types (and so admin permissions and history) move with them.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import notifications.kinds

MOVED = [("recognition", "notification"), ("checkins", "notificationsettings")]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, model in MOVED:
        if not ContentType.objects.filter(app_label="notifications", model=model).exists():
            ContentType.objects.filter(app_label=app_label, model=model).update(
                app_label="notifications"
            )


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, model in MOVED:
        if not ContentType.objects.filter(app_label=app_label, model=model).exists():
            ContentType.objects.filter(app_label="notifications", model=model).update(
                app_label=app_label
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('checkins', '0004_notificationsettings_moves_to_notifications'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('goals', '0006_forecast_calibration'),
        ('recognition', '0004_notification_moves_to_notifications'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=notifications.kinds.kind_choices, max_length=20)),
                        ('title', models.CharField(max_length=200)),
                        ('body', models.TextField(blank=True)),
                        ('neutral_title', models.CharField(blank=True, max_length=200)),
                        ('neutral_body', models.TextField(blank=True)),
                        ('url', models.CharField(blank=True, max_length=300)),
                        ('neutral_url', models.CharField(blank=True, max_length=300)),
                        ('created_at', models.DateTimeField()),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('email_attempts', models.PositiveSmallIntegerField(default=0)),
                        ('email_error', models.TextField(blank=True)),
                        ('email_failed_at', models.DateTimeField(blank=True, null=True)),
                        ('goal', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='goals.goal')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'recognition_notification',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [
                            models.Index(condition=models.Q(('read_at__isnull', True)), fields=['user'], name='notification_unread'),
                            models.Index(fields=['user', 'created_at'], name='recognition_user_id_f56c24_idx'),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name='NotificationSettings',
                    fields=[
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='notification_settings', serialize=False, to=settings.AUTH_USER_MODEL)),
                        ('weekly_digest', models.BooleanField(default=True)),
                        ('deliveries', models.JSONField(blank=True, default=dict)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'checkins_notificationsettings',
                        'verbose_name': 'notification settings',
                        'verbose_name_plural': 'notification settings',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name='notification',
            name='data',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
