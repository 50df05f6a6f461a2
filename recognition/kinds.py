"""The kinds of notification recognition sends, registered with the notifications app when
recognition starts (RecognitionConfig.ready)."""

from notifications import kinds
from notifications.models import Delivery

ACHIEVEMENT = "achievement"
CELEBRATION = "celebration"
BADGE = "badge"
PERIOD_SUMMARY = "period_summary"


def register_kinds() -> None:
    kinds.register(ACHIEVEMENT, label="Achievement", preference="Achievements and badges")
    kinds.register(
        CELEBRATION,
        label="Celebration",
        preference="Teammates celebrating my wins",
        default=Delivery.DIGEST,
    )
    # Badges are routed with achievements ("Achievements and badges" in the user's settings).
    kinds.register(BADGE, label="Badge", routed_with=ACHIEVEMENT)
    kinds.register(PERIOD_SUMMARY, label="Period summary", preference="Period-end summaries")
