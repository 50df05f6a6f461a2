"""Seed the standard goal templates (goals/template_library.py)."""

from django.db import migrations


def seed(apps, schema_editor):
    from goals.template_library import STANDARD_TEMPLATES

    GoalTemplate = apps.get_model("goals", "GoalTemplate")
    for order, fields in enumerate(STANDARD_TEMPLATES):
        values = {**fields, "order": order}
        GoalTemplate.objects.get_or_create(name=values.pop("name"), defaults=values)


def unseed(apps, schema_editor):
    from goals.template_library import STANDARD_TEMPLATES

    GoalTemplate = apps.get_model("goals", "GoalTemplate")
    GoalTemplate.objects.filter(name__in=[t["name"] for t in STANDARD_TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("goals", "0007_templates_and_closing")]

    operations = [migrations.RunPython(seed, unseed)]
