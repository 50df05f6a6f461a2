"""50 simulated users on the running stack: leads on dashboards and goal pages, members on
their own view and weekly check-ins. Requests are named by page, not by id, so the report has
one line per page. The plan comes from bench.load.prepare (LOAD_PLAN)."""

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, events, task

with open(os.environ.get("LOAD_PLAN", "/tmp/goalpost-load/plan.json")) as plan_file:
    PLAN = json.load(plan_file)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_leads = itertools.cycle(PLAN["leads"])
_members = itertools.cycle(PLAN["members"])
# Every request's start, name, time and outcome, for the report's logins / pages split.
_timings = open(os.environ.get("LOAD_TIMINGS", "/tmp/goalpost-load/timings.csv"), "w")  # noqa: SIM115


@events.request.add_listener
def _record(name, response_time, exception=None, start_time=None, **kwargs) -> None:
    started = start_time or time.time() - response_time / 1000
    _timings.write(f"{started:.3f},{name},{response_time:.1f},{0 if exception else 1}\n")


@events.quitting.add_listener
def _close(**kwargs) -> None:
    _timings.close()


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
        # What the open dashboard asks every 10 seconds (htmx), with the version it holds, as the
        # browser's cache sends it: 304 while nothing changed.
        headers = {"HX-Request": "true"}
        if getattr(self, "etag", None):
            headers["If-None-Match"] = self.etag
        with self.client.get(
            f"/teams/{self.who['team']}/",
            headers=headers,
            name="dashboard poll",
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 304):
                response.failure(f"poll answered {response.status_code}")
            else:
                self.etag = response.headers.get(
                    "ETag", self.etag if response.status_code == 304 else None
                )
                response.success()

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
