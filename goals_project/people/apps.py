from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "goals_project.people"
    label = "people"
    verbose_name = "People and teams"
