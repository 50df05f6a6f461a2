from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def _users():
    # The navigation names the signed-in user's team on every page and the access rules read
    # their role: both come with the user, in the one query that reads them.
    return get_user_model()._default_manager.select_related("membership__team")


class EmailBackend(ModelBackend):
    """ModelBackend whose username is the email, matched without regard to case; the signed-in
    user is read with their membership and its team."""

    def get_user(self, user_id):
        users = _users()
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        users = _users()
        try:
            user = await users.aget(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
