from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from catalog import rules
from catalog.models import AdmissionSession, DocumentType, Offering


def offerings_open_now() -> list[Offering]:
    now = timezone.now()
    offerings = Offering.objects.filter(is_open=True, session__is_published=True).select_related(
        "session__institution", "program__campus"
    )
    return [o for o in offerings if rules.window_is_open(o.session.opens_on, o.session.closes_on, now)]


def published_sessions() -> QuerySet[AdmissionSession]:
    return AdmissionSession.objects.filter(is_published=True).select_related("institution", "cvec")


def session_catalogue(session: AdmissionSession) -> AdmissionSession:
    """Load everything the catalogue page shows in a constant number of queries."""
    return (
        AdmissionSession.objects.select_related("institution", "cvec")
        .prefetch_related(
            Prefetch(
                "offerings",
                queryset=Offering.objects.select_related("program__campus").order_by("program__code"),
            ),
            Prefetch("document_types", queryset=DocumentType.objects.prefetch_related("programs")),
        )
        .get(pk=session.pk)
    )
