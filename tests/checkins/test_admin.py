import pytest

from checkins.models import CheckIn, DigestDelivery, SupportRequest
from notifications.models import NotificationSettings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [CheckIn, SupportRequest, NotificationSettings, DigestDelivery])
def test_admin_lists_and_opens_each_model(client, admin_user, member, member_goal, model):
    checkin = CheckIn.objects.create(
        goal=member_goal, user=member, week_start="2026-11-23", confidence=3, blockers="x"
    )
    SupportRequest.objects.create(goal=member_goal, requester=member, checkin=checkin, message="Hi")
    NotificationSettings.objects.create(user=member, weekly_digest=False)
    DigestDelivery.objects.create(user=member, week_start="2026-11-23")
    client.force_login(admin_user)
    opts = model._meta
    listing = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
    assert listing.status_code == 200
    obj = model.objects.get()
    assert (
        client.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/").status_code == 200
    )


def test_members_have_no_admin(client, member):
    client.force_login(member)
    response = client.get("/admin/checkins/checkin/")
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/checkins/checkin/"
