"""On PostgreSQL, periods of one type cannot overlap even when two writers race past the model's
check: an exclusion constraint over (type, inclusive date range) with btree_gist. SQLite relies on
GoalPeriod.clean, which every surface calls."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE goals_goalperiod ADD CONSTRAINT period_type_dates_never_overlap
    EXCLUDE USING gist (period_type WITH =, daterange(start, "end", '[]') WITH &&);
"""
DROP = "ALTER TABLE goals_goalperiod DROP CONSTRAINT IF EXISTS period_type_dates_never_overlap;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("goals", "0004_goal_side_and_unit")]

    operations = [migrations.RunPython(create, drop)]
