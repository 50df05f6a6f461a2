"""50 simulated users on the running stack: leads on dashboards and goal pages, members on
their own view and weekly check-ins. Requests are named by page, not by id, so the report has
one line per page. The plan comes from bench.load.prepare (LOAD_PLAN)."""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

with open(os.environ.get("LOAD_PLAN", "/tmp/goalpost-load/plan.json")) as plan_file:
    PLAN = json.load(plan_file)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_leads = itertools.cycle(PLAN["leads"])
_members = itertools.cycle(PLAN["members"])


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    who: dict

    def log_in(self, who: dict) -> None:
        self.who = who
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": who["email"], "password": PLAN["password"]},
            name="log in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")

    def csrf_header(self) -> dict:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}


class Lead(Person):
    weight = 2

    def on_start(self) -> None:
        self.log_in(next(_leads))

    @task(4)
    def team_dashboard(self) -> None:
        self.client.get(f"/teams/{self.who['team']}/", name="team dashboard")

    @task(2)
    def dashboard_poll(self) -> None:
        # What the open dashboard asks every 10 seconds (htmx).
        self.client.get(
            f"/teams/{self.who['team']}/", headers={"HX-Request": "true"}, name="dashboard poll"
        )

    @task(3)
    def goal_page(self) -> None:
        self.client.get(f"/goals/{random.choice(self.who['goals'])}/", name="goal page")

    @task(1)
    def leaderboard(self) -> None:
        self.client.get("/leaderboard/", name="leaderboard")

    @task(1)
    def dashboard_api(self) -> None:
        self.client.get(
            f"/api/goals/dashboard/team?team={self.who['team']}&period={PLAN['period']}",
            name="dashboard API",
        )


class Member(Person):
    weight = 3

    def on_start(self) -> None:
        self.log_in(next(_members))

    @task(3)
    def my_goals(self) -> None:
        self.client.get("/me/", name="my goals")

    @task(2)
    def goal_page(self) -> None:
        self.client.get(f"/goals/{random.choice(self.who['goals'])}/", name="goal page")

    @task(1)
    def check_in_page(self) -> None:
        self.client.get("/check-in/", name="check-in page")

    @task(2)
    def check_in(self) -> None:
        goal = random.choice(self.who["goals"])
        with self.client.post(
            f"/check-in/goals/{goal}/",
            {"note": "Load test check-in", "confidence": random.randint(1, 5), "blockers": ""},
            headers={**self.csrf_header(), "HX-Request": "true"},
            name="check-in save",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"check-in answered {response.status_code}")
