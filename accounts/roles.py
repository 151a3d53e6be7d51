"""Staff roles are named permissions, gathered in groups (one group a role)."""

from django.utils.translation import gettext_lazy as _

ADMISSIONS_OFFICE = "accounts.admissions_office"
PROGRAM_DIRECTOR = "accounts.program_director"
JURY_MEMBER = "accounts.jury_member"
FINANCE = "accounts.finance"
TEACHER = "accounts.teacher"
STAFF_ROLES = (ADMISSIONS_OFFICE, PROGRAM_DIRECTOR, JURY_MEMBER, FINANCE, TEACHER)

# group name -> (role permission codename, extra model permissions for the back office)
ROLE_GROUPS: dict[str, tuple[str, list[str]]] = {
    "Admissions office": (
        "admissions_office",
        [
            "catalog.view_institution",
            "catalog.change_institution",
            "catalog.view_campus",
            "catalog.add_campus",
            "catalog.change_campus",
            "catalog.view_admissionsession",
            "catalog.add_admissionsession",
            "catalog.change_admissionsession",
            "catalog.view_program",
            "catalog.add_program",
            "catalog.change_program",
            "catalog.view_offering",
            "catalog.add_offering",
            "catalog.change_offering",
            "catalog.view_documenttype",
            "catalog.add_documenttype",
            "catalog.change_documenttype",
            "catalog.delete_documenttype",
            "catalog.view_cvecrate",
            "catalog.add_cvecrate",
            "catalog.change_cvecrate",
            "applications.view_dossier",
            "applications.view_feepayment",
            "notifications.view_outgoingemail",
            "audit.view_auditevent",
            "privacy.view_privacynotice",
            "privacy.change_privacynotice",
            "privacy.view_accessibilitystatement",
            "privacy.change_accessibilitystatement",
            # registration (issue 8): read only, changed through the staff screens
            "registration.view_offer",
            "registration.view_waitlistentry",
            "registration.view_registration",
            "registration.view_registrationfile",
            "registration.view_instalment",
            "registration.view_visacase",
            "registration.view_student",
            # studies (issue 10): curricula edited here too; grades, theses, renewals read only
            "studies.view_curriculum",
            "studies.change_curriculum",
            "studies.view_unit",
            "studies.add_unit",
            "studies.change_unit",
            "studies.view_subject",
            "studies.change_subject",
            "studies.view_grade",
            "studies.view_thesis",
            "studies.view_renewal",
        ],
    ),
    "Program directors": ("program_director", []),
    "Teachers": ("teacher", []),
    "Jury members": ("jury_member", []),
    "Finance": (
        "finance",
        [
            "applications.view_feepayment",
            "applications.change_feepayment",
            "registration.view_instalment",
            "registration.view_visacase",
            "registration.view_student",
            # billing (issue 9): read only in the admin, except the CSV mappings of its banks
            "billing.view_due",
            "billing.view_ledgerline",
            "billing.view_statementimport",
            "billing.view_bankline",
            "billing.view_csvmapping",
            "billing.add_csvmapping",
            "billing.change_csvmapping",
        ],
    ),
}

ROLE_LABELS = {
    ADMISSIONS_OFFICE: _("Admissions office"),
    PROGRAM_DIRECTOR: _("Program director"),
    JURY_MEMBER: _("Jury member"),
    FINANCE: _("Finance"),
    TEACHER: _("Teacher"),
}
