"""Lists make a constant number of queries whatever the data size (convention 16)."""

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from admission.models import Decision, Interview, JurySitting, Opinion
from applications.models import Dossier, DossierStatus
from tests.conftest import PASSWORD, make_user, offering


def add_dossiers(n: int, *, session: Any, sitting: JurySitting, director: Any, jury: Any, start: int) -> None:
    users = [make_user(f"bulk{start + i}@example.org") for i in range(n)]
    codes = ["BE+", "CSE"]
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=offering(session, codes[i % 2]),
                status=DossierStatus.AT_JURY,
                sitting=sitting,
                last_name=f"Nom{start + i}",
                first_names="Prénom",
                nationality="FR" if i % 3 else "SN",
                eligibility_path="c",
                submitted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        ]
    )
    Opinion.objects.bulk_create(
        [
            Opinion(dossier=d, favourable=bool(i % 2), comment="ok", given_by=director)
            for i, d in enumerate(dossiers)
        ]
    )
    Interview.objects.bulk_create(
        [
            Interview(
                dossier=d,
                starts_at=timezone.now(),
                mode="phone",
                status="held",
                notes="n",
                proposed_by=director,
            )
            for d in dossiers[::2]
        ]
    )
    Decision.objects.bulk_create(
        [
            Decision(
                dossier=d,
                offering=d.offering,
                sitting=sitting,
                outcome="refused",
                decided_by=jury,
                decided_at=timezone.now(),
            )
            for d in dossiers[::3]
        ]
    )


def count(client: Any, url: str, **params: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx)


def test_jury_screen_and_director_list_queries_10_vs_500(
    client: Any, open_session: Any, director_be: Any, jury: Any, office: Any
) -> None:
    from catalog.models import Program

    Program.objects.get(code="CSE").directors.add(director_be)
    sitting = JurySitting.objects.filter(session=open_session).first()
    assert sitting is not None
    sitting.members.add(jury)
    add_dossiers(10, session=open_session, sitting=sitting, director=director_be, jury=jury, start=0)
    client.login(email=jury.email, password=PASSWORD)
    jury_small = count(client, reverse("sitting_detail", args=[sitting.pk]))
    client.login(email=director_be.email, password=PASSWORD)
    director_small = count(client, reverse("director_list"), status="")  # every status, not only what waits
    client.login(email=office.email, password=PASSWORD)
    office_small = count(client, reverse("office_queue"), status="all")
    add_dossiers(490, session=open_session, sitting=sitting, director=director_be, jury=jury, start=10)
    client.login(email=jury.email, password=PASSWORD)
    assert count(client, reverse("sitting_detail", args=[sitting.pk])) == jury_small
    client.login(email=director_be.email, password=PASSWORD)
    assert count(client, reverse("director_list"), status="") == director_small
    assert count(client, reverse("director_list"), sort="-name", status="at_jury") == director_small
    client.login(email=office.email, password=PASSWORD)
    assert count(client, reverse("office_queue"), status="all") == office_small
