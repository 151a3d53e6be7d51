from typing import Any

from django.http import HttpRequest

from accounts.roles import ADMISSIONS_OFFICE, FINANCE, JURY_MEMBER, PROGRAM_DIRECTOR


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_staff_role = bool(
        user
        and user.is_authenticated
        and any(user.has_perm(p) for p in (ADMISSIONS_OFFICE, FINANCE, JURY_MEMBER, PROGRAM_DIRECTOR))
    )
    return {"is_staff_role": is_staff_role}
