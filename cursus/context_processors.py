"""What every page shows of the signed-in person: the screens their roles open and what waits there.

Read once per request and only when a template asks (convention 25): the roles come from the user's
permission cache, filled by the same query that read the user (accounts/backends.py); each count is one
query, made for the roles the person has, and nothing else here reads the database. The same table decides where a person lands after signing in (issue 7 item 4).
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.roles import ADMISSIONS_OFFICE, FINANCE, JURY_MEMBER, PROGRAM_DIRECTOR, STAFF_ROLES, TEACHER


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Promise | str
    waiting: int
    waiting_text: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


class StaffNav:
    """The screens a person can use, in the order they land on them: office, director, jury, finance."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user: Any = getattr(request, "user", None)

    @cached_property
    def roles(self) -> frozenset[str]:
        if self.user is None or not self.user.is_authenticated:
            return frozenset()
        return frozenset(p for p in STAFF_ROLES if self.user.has_perm(p))

    @property
    def is_staff_role(self) -> bool:
        return bool(self.roles)

    @cached_property
    def _director(self) -> tuple[int, int]:
        from admission.selectors import director_work

        if PROGRAM_DIRECTOR not in self.roles:
            return 0, 0
        return director_work(self.user)

    @cached_property
    def _to_check(self) -> int:
        from admission.selectors import dossiers_to_check

        return dossiers_to_check(self.user)

    def known(self, *, to_check: int | None = None, director: tuple[int, int] | None = None) -> None:
        """Counts a page has read for itself, in the same scope (the office's list, the director's): the
        navigation shows them instead of asking again."""
        if to_check is not None:
            self.__dict__["_to_check"] = to_check
        if director is not None:
            self.__dict__["_director"] = director

    @cached_property
    def items(self) -> list[NavItem]:
        from admission import selectors as adm
        from applications.selectors import fees_to_confirm

        roles, items = self.roles, []
        if ADMISSIONS_OFFICE in roles:
            n = self._to_check
            text = ngettext("%(n)d dossier to check", "%(n)d dossiers to check", n) % {"n": n}
            items.append(NavItem("office_queue", _("Dossiers"), n, text))
        # A director of no program has no list to open (it would answer 404).
        programs, waiting = self._director
        if programs:
            text = ngettext("%(n)d awaits your opinion", "%(n)d await your opinion", waiting) % {"n": waiting}
            items.append(NavItem("director_list", _("My programs' dossiers"), waiting, text))
        if JURY_MEMBER in roles or ADMISSIONS_OFFICE in roles:
            n = adm.open_sittings(self.user) if JURY_MEMBER in roles else 0
            text = ngettext("%(n)d sitting open", "%(n)d sittings open", n) % {"n": n}
            items.append(NavItem("sittings", _("Admission jury"), n, text))
        if FINANCE in roles:
            n = fees_to_confirm(self.user)
            text = ngettext("%(n)d payment to confirm", "%(n)d payments to confirm", n) % {"n": n}
            items.append(NavItem("fee_payments", _("Application fees"), n, text))
            # Issue 9: the ledger and the statements (no count, no query); the bank lines to sort.
            items.append(NavItem("ledger", _("Ledger"), 0, ""))
            items.append(NavItem("statements", _("Bank statements"), 0, ""))
            from billing.selectors import lines_to_sort

            n = lines_to_sort(self.user)
            text = ngettext("%(n)d bank line to sort", "%(n)d bank lines to sort", n) % {"n": n}
            items.append(NavItem("triage", _("To sort"), n, text))
            items.append(NavItem("mandates", _("Mandates"), 0, ""))  # no count, no query
            items.append(NavItem("debits", _("Direct debits"), 0, ""))  # no count, no query
            items.append(NavItem("flywire_payments", _("Flywire"), 0, ""))  # no count, no query
            items.append(NavItem("debit_returns", _("Returns"), 0, ""))  # no count, no query
            items.append(NavItem("refunds", _("Refunds"), 0, ""))  # no count, no query
        if ADMISSIONS_OFFICE in roles and FINANCE not in roles:
            items.append(NavItem("ledger", _("Ledger"), 0, ""))  # read only for the office (issue 9)
        if ADMISSIONS_OFFICE in roles or FINANCE in roles or programs:
            items.append(self._registrations())
        if ADMISSIONS_OFFICE in roles or programs:
            # Issue 10: curricula, theses and renewals (no count, no query).
            items.append(NavItem("curricula", _("Studies"), 0, ""))
        if TEACHER in roles or ADMISSIONS_OFFICE in roles or programs:
            # Issue 10 item 3: the subjects to grade (no count, no query).
            items.append(NavItem("grade_subjects", _("Grades"), 0, ""))
        if ADMISSIONS_OFFICE in roles or programs or JURY_MEMBER in roles:
            # Issue 10 item 5: the studies juries (no count, no query).
            items.append(NavItem("studies_juries", _("Studies juries"), 0, ""))
        if (ADMISSIONS_OFFICE in roles or FINANCE in roles) and self._registration_work.visas:
            # Issue 8: the visa refusals to decide have their own screen (same count, no query more).
            n = self._registration_work.visas
            text = ngettext("%(n)d visa refusal to decide", "%(n)d visa refusals to decide", n) % {"n": n}
            items.append(NavItem("visa_cases", _("Visa refusals"), n, text))
        return items

    @cached_property
    def _registration_work(self) -> Any:
        from registration.staff_selectors import registration_work

        return registration_work(self.user)

    def _registrations(self) -> NavItem:
        """Registrations (issue 8): what waits there for each role the person has, in one query."""
        from registration.staff_selectors import ENDING_SOON_DAYS

        work, roles = self._registration_work, self.roles
        parts: list[tuple[int, str]] = []
        if ADMISSIONS_OFFICE in roles or self._director[0]:
            n = work.ending_soon
            text = ngettext(
                "%(n)d window ends within %(days)d days", "%(n)d windows end within %(days)d days", n
            ) % {"n": n, "days": ENDING_SOON_DAYS}
            parts.append((n, text))
        if ADMISSIONS_OFFICE in roles:
            n = work.proofs
            parts.append(
                (n, ngettext("%(n)d BAC+5 proof to check", "%(n)d BAC+5 proofs to check", n) % {"n": n})
            )
        if ADMISSIONS_OFFICE in roles or FINANCE in roles:
            n = work.visas
            parts.append(
                (n, ngettext("%(n)d visa refusal to decide", "%(n)d visa refusals to decide", n) % {"n": n})
            )
        waiting = sum(n for n, _text in parts)
        text = " · ".join(t for n, t in parts if n) or parts[0][1]
        return NavItem("registrations", _("Registrations"), waiting, text)

    @cached_property
    def back_office(self) -> bool:
        """The admin has something for this person: never a link to a page that would turn them away."""
        user = self.user
        if user is None or not (user.is_authenticated and user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        from django.contrib import admin

        # What admin.site.get_app_list keeps (a model whose module the person may see and on which they
        # have a permission), stopped at the first: the whole list, its URLs and its sorting, built on
        # every page for one yes or no, cost more than the rest of the navigation.
        for model_admin in admin.site._registry.values():
            if model_admin.has_module_permission(self.request) and any(
                model_admin.get_model_perms(self.request).values()
            ):
                return True
        return False

    def landing(self) -> str:
        """Where the person lands after signing in: the superuser the admin, staff their first screen
        (office, director, jury, finance), staff of the admin only the admin, candidates their dashboard."""
        user = self.user
        if user is not None and user.is_authenticated and user.is_superuser:
            return reverse("admin:index")
        # Only the first screen is needed: no count is made for it.
        roles = self.roles
        if ADMISSIONS_OFFICE in roles:
            return reverse("office_queue")
        if self._director[0]:
            return reverse("director_list")
        if JURY_MEMBER in roles:
            return reverse("sittings")
        if FINANCE in roles:
            return reverse("fee_payments")
        if TEACHER in roles:
            return reverse("grade_subjects")
        if self.back_office:
            return reverse("admin:index")
        return reverse("dashboard")


def staff_nav(request: HttpRequest) -> StaffNav:
    """The request's one ``StaffNav`` (made on first use, then kept on the request)."""
    nav = getattr(request, "_cursus_nav", None)
    if nav is None:
        nav = StaffNav(request)
        request._cursus_nav = nav  # type: ignore[attr-defined]
    return nav


def site(request: HttpRequest) -> dict[str, Any]:
    nav = staff_nav(request)
    return {"nav": nav, "is_staff_role": nav.is_staff_role}
