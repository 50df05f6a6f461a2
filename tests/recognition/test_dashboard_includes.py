"""Recognition shows on the team dashboard and the person page, loaded by htmx."""

from goals.models import Goal
from recognition.services import badges_award
from tests.builders import reach


def test_team_dashboard_loads_the_feed_and_highlights(client, quarter, team, lead):
    client.force_login(lead)
    page = client.get(f"/teams/{team.pk}/").content.decode()
    assert f'hx-get="/recognition/teams/{team.pk}/celebrations/"' in page
    assert f'hx-get="/recognition/teams/{team.pk}/highlights/"' in page


def test_a_completed_period_links_its_summary(client, quarter, team, lead):
    quarter.status = "completed"
    quarter.save(update_fields=["status"])
    client.force_login(lead)
    page = client.get(f"/teams/{team.pk}/", {"period": quarter.pk}).content.decode()
    assert f'href="/recognition/teams/{team.pk}/periods/{quarter.pk}/summary/"' in page


def test_person_page_loads_the_badges(client, member_goal, member, lead):
    reach(member_goal, Goal.Status.ACHIEVED)
    badges_award()
    client.force_login(lead)

    page = client.get(f"/people/{member.pk}/").content.decode()
    assert f'hx-get="/recognition/people/{member.pk}/badges/"' in page

    partial = client.get(f"/recognition/people/{member.pk}/badges/", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body
    assert "First goal" in body and "First goal achieved: “QBR completion” (Q4 2026)." in body
