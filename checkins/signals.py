"""Signals the checkins app sends; recognition listens (in-app notifications).

support_request_opened: kwargs: support_request
support_request_changed: kwargs: support_request, old_status, new_status
checkin_submitted: kwargs: checkin
collect_digest_sections: sent while building a weekly digest; receivers return a list of
    {"title": str, "lines": [str]} to add. kwargs: user, week_start (date), is_lead (bool)
"""

from django.dispatch import Signal

support_request_opened = Signal()
support_request_changed = Signal()
checkin_submitted = Signal()
collect_digest_sections = Signal()
