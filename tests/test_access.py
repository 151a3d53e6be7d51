"""Each role sees only what it needs (SPEC §0, issue 6 item 4): one table states every role's reach on
every URL that takes an id and every staff list; another person's dossier or document is a 404."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from admission.models import Interview
from applications import services
from applications.models import Dossier, FeePayment
from tests.conftest import PASSWORD

# Public pages that take an id: published catalogue data only.
PUBLIC = {"session_detail"}

# SPEC §0 and issue 6 item 4, as ONE table: each role's reach on every URL that takes an id and on
# every staff list, for the dossier of `owned` (submitted, checked, given an opinion, decided in a
# closed sitting, with an interview and a confirmed fee). Each cell is "GET/POST" (POST with
# plausible form data). 302 for anonymous is the login page; 302 for a signed-in person is the
# action's own answer (done or refused with a message); 405 a method the URL does not take.
# A new URL that takes an id, or a new staff list, fails `test_every_id_taking_url_has_a_row` until
# it has a row here.
ROLES = (
    "anonymous",
    "owner",
    "other_candidate",
    "office",
    "finance",
    "director",
    "director_other",
    "juror",
    "lone_juror",
)
# fmt: off
REACH: dict[str, tuple[str, ...]] = {
    # url name               anonymous  owner      other      office     finance    director   dir_other  juror      lone_juror
    "dossier_detail":        ("302/302", "200/200", "404/404", "200/200", "404/404", "200/200", "404/404", "200/200", "404/404"),
    "dossier_section":       ("302/302", "200/302", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "dossier_documents":     ("302/302", "200/200", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "document_download":     ("302/302", "200/200", "404/404", "200/200", "404/404", "200/200", "404/404", "200/200", "404/404"),
    "dossier_fee":           ("302/302", "200/200", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "dossier_submit":        ("302/302", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "interview_respond":     ("302/302", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "decision_letter":       ("302/302", "200/200", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "dossier_withdraw":      ("302/302", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "staff_dossier":         ("302/302", "404/404", "404/404", "200/200", "404/404", "200/200", "404/404", "200/200", "404/404"),
    "staff_document_view":   ("302/302", "404/404", "404/404", "200/200", "404/404", "200/200", "404/404", "200/200", "404/404"),
    "document_verdict":      ("302/302", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "dossier_complete":      ("302/302", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "dossier_incomplete":    ("302/302", "405/404", "405/404", "405/200", "405/404", "405/404", "405/404", "405/404", "405/404"),
    # issue 7 item 6: a refused opinion or interview comes back as typed, with its errors (200)
    "opinion_give":          ("302/302", "405/404", "405/404", "405/404", "405/404", "405/200", "405/404", "405/404", "405/404"),
    "interview_propose":     ("302/302", "405/404", "405/404", "405/200", "405/404", "405/200", "405/404", "405/404", "405/404"),
    "interview_notes":       ("302/302", "405/404", "405/404", "405/302", "405/404", "405/302", "405/404", "405/404", "405/404"),
    "dossier_move":          ("302/302", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "dossier_international": ("302/302", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "director_export":       ("302/302", "404/404", "404/404", "404/404", "404/404", "200/200", "404/404", "404/404", "404/404"),
    "sitting_detail":        ("302/302", "404/404", "404/404", "200/200", "404/404", "404/404", "404/404", "200/200", "404/404"),
    # GET gives a sitting member the row's decision form (issue 11 item 2); nobody else learns anything
    "decision_record":       ("302/302", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "302/302", "404/404"),
    "sitting_close":         ("302/302", "404/404", "404/404", "200/302", "404/404", "404/404", "404/404", "200/302", "404/404"),
    "sitting_minutes":       ("302/302", "404/404", "404/404", "200/200", "404/404", "404/404", "404/404", "200/200", "404/404"),
    # issue 11 item 5: the letters' progress (its page's part; 302 to the page without htmx); sending
    # the failed ones again is the office's or the president's (the juror is a member only)
    "sitting_letters":       ("302/302", "404/404", "404/404", "302/302", "404/404", "404/404", "404/404", "302/404", "404/404"),
    # a background export and its file are the person's who asked (here finance's ledger) and no one else's
    "job_detail":            ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    "job_download":          ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    "fee_payment_confirm":   ("302/302", "405/404", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404"),
    "fee_payment_reject":    ("302/302", "405/404", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404"),
    # registration (issue 8): the subject holds an open offer and a registration file (a CVEC attestation)
    "registration_form":          ("302/302", "200/302", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "registration_file_upload":   ("302/302", "405/200", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "registration_file_download": ("302/302", "200/200", "404/404", "200/200", "200/200", "200/200", "404/404", "404/404", "404/404"),
    "registration_complete":      ("302/302", "405/200", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "offer_decline":              ("302/302", "200/302", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    # visas are for international candidates only: the subject is French, so 404 to its owner too
    "visa_page":                  ("302/302", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "visa_letter":                ("302/302", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "staff_registration":         ("302/302", "404/404", "404/404", "200/200", "200/200", "200/200", "404/404", "404/404", "404/404"),
    "offer_extend":               ("302/302", "405/404", "405/404", "405/200", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "waitlist_move":              ("302/302", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "registration_bac5_verdict":  ("302/302", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404"),
    "visa_decide":                ("302/302", "405/404", "405/404", "405/302", "405/302", "405/404", "405/404", "405/404", "405/404"),
    "registrations":              ("302/302", "404/404", "404/404", "200/200", "200/200", "200/200", "200/200", "404/404", "404/404"),
    "registrations_export":       ("302/302", "404/404", "404/404", "200/200", "200/200", "200/200", "200/200", "404/404", "404/404"),
    "students":                   ("302/302", "404/404", "404/404", "200/200", "200/200", "200/200", "200/200", "404/404", "404/404"),
    "students_export":            ("302/302", "404/404", "404/404", "200/200", "200/200", "200/200", "200/200", "404/404", "404/404"),
    "visa_cases":                 ("302/302", "404/404", "404/404", "200/200", "200/200", "404/404", "404/404", "404/404", "404/404"),
    "registration_file_verdict":  ("302/302", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404"),
    # finance (issue 9): the ledger for finance and the office (read only), statements for finance only
    "ledger":                     ("302/302", "404/404", "404/404", "200/200", "200/200", "404/404", "404/404", "404/404", "404/404"),
    "ledger_export":              ("302/302", "404/404", "404/404", "200/200", "200/200", "404/404", "404/404", "404/404", "404/404"),
    "ledger_dossier":             ("302/302", "404/404", "404/404", "200/404", "200/400", "404/404", "404/404", "404/404", "404/404"),
    "statements":                 ("302/302", "404/404", "404/404", "404/404", "200/400", "404/404", "404/404", "404/404", "404/404"),
    "statement_detail":           ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    "triage":                     ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    "bank_line_action":           ("302/302", "405/404", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404"),
    # SEPA mandates (issue 9 item 7): the subject's signed mandate; its candidate's own pages, finance's
    # screens (the office too gets 404); a signed mandate is not signed again (302 with a message)
    "mandate_sign":               ("302/302", "200/302", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "mandate_pdf":                ("302/302", "200/200", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "mandates":                   ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    "mandate_detail":             ("302/302", "404/404", "404/404", "404/404", "200/302", "404/404", "404/404", "404/404", "404/404"),
    "flywire_payments":           ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    # direct-debit returns and refunds (issue 9 items 8, 9): finance only; a decision or an action
    # without its fields is refused with a message (302)
    "debit_returns":              ("302/302", "404/404", "404/404", "404/404", "200/302", "404/404", "404/404", "404/404", "404/404"),
    "debit_return_action":        ("302/302", "405/404", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404"),
    "refunds":                    ("302/302", "404/404", "404/404", "404/404", "200/302", "404/404", "404/404", "404/404", "404/404"),
    "refunds_export":             ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    "refund_action":              ("302/302", "405/404", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404"),
    # SEPA direct debits (issue 9 item 7): finance only (the file carries IBANs); the subject's batch is
    # the returned debit's; an export without a date is refused (400), an action without its box (302)
    "debits":                     ("302/302", "404/404", "404/404", "404/404", "200/400", "404/404", "404/404", "404/404", "404/404"),
    "debit_batch":                ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    "debit_batch_xml":            ("302/302", "404/405", "404/405", "404/405", "200/405", "404/405", "404/405", "404/405", "404/405"),
    "debit_batch_action":         ("302/302", "405/404", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404"),
    # curriculum (issue 10 items 1, 2, 6): the office and the program's directors; a thesis form or a new
    # curriculum without its fields comes back with its errors (200); only the office renews (R1.11)
    "curricula":                  ("302/302", "404/404", "404/404", "200/200", "404/404", "200/200", "200/200", "404/404", "404/404"),
    "curriculum_detail":          ("302/302", "404/404", "404/404", "200/302", "404/404", "200/302", "404/404", "404/404", "404/404"),
    "curriculum_copy":            ("302/302", "405/404", "405/404", "405/302", "405/404", "405/302", "405/404", "405/404", "405/404"),
    "study_students":             ("302/302", "404/405", "404/405", "200/405", "404/405", "200/405", "404/405", "404/405", "404/405"),
    "thesis_edit":                ("302/302", "404/404", "404/404", "200/200", "404/404", "200/200", "404/404", "404/404", "404/404"),
    "renewal_create":             ("302/302", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404", "405/404", "405/404"),
    # studies jury (issue 10 item 5): the office, the program's directors, the jury's members (the juror
    # sits on it); the members and the director rule, the office and the director propose and close;
    # the transcript is the office's and the director's; a form without its fields comes back (302)
    "studies_juries":             ("302/302", "404/404", "404/404", "200/302", "404/404", "200/302", "200/302", "200/302", "200/302"),
    "studies_jury":               ("302/302", "404/404", "404/404", "200/302", "404/404", "200/302", "404/404", "200/404", "404/404"),
    "studies_jury_outcome":       ("302/302", "405/404", "405/404", "405/404", "405/404", "405/302", "405/404", "405/302", "405/404"),
    "studies_jury_close":         ("302/302", "404/404", "404/404", "200/302", "404/404", "200/302", "404/404", "404/404", "404/404"),
    "studies_jury_minutes":       ("302/302", "404/404", "404/404", "200/200", "404/404", "200/200", "404/404", "200/200", "404/404"),
    "studies_degrees_export":     ("302/302", "404/404", "404/404", "200/200", "404/404", "200/200", "404/404", "200/200", "404/404"),
    "staff_transcript":           ("302/302", "404/404", "404/404", "200/200", "404/404", "200/200", "404/404", "404/404", "404/404"),
    # grades (issue 10 items 3, 7): the subject is the curriculum's first; the office and its director
    # enter grades (a grid sent without rows saves nothing: 302), only the director publishes (refused
    # with a message while grades are missing: 302); the transcript is its student's alone (not a role here)
    "grade_subjects":             ("302/302", "404/405", "404/405", "200/405", "404/405", "200/405", "200/405", "404/405", "404/405"),
    "grade_import":               ("302/302", "404/404", "404/404", "200/200", "404/404", "200/200", "200/200", "404/404", "404/404"),
    "grade_grid":                 ("302/302", "404/404", "404/404", "200/302", "404/404", "200/302", "404/404", "404/404", "404/404"),
    "grades_publish":             ("302/302", "405/404", "405/404", "405/404", "405/404", "405/302", "405/404", "405/404", "405/404"),
    "my_transcript":              ("302/302", "404/405", "404/405", "404/405", "404/405", "404/405", "404/405", "404/405", "404/405"),
    # staff lists
    "office_queue":          ("302/302", "404/404", "404/404", "200/200", "404/404", "404/404", "404/404", "404/404", "404/404"),
    "director_list":         ("302/302", "404/404", "404/404", "404/404", "404/404", "200/200", "200/200", "404/404", "404/404"),
    "sittings":              ("302/302", "404/404", "404/404", "200/200", "404/404", "404/404", "404/404", "200/200", "200/200"),
    "fee_payments":          ("302/302", "404/404", "404/404", "404/404", "200/200", "404/404", "404/404", "404/404", "404/404"),
}
# fmt: on


@dataclass
class Subject:
    dossier: Dossier
    file: Any
    interview: Any
    payment: FeePayment
    sitting_id: int | None
    reg_file: Any = None
    statement: Any = None
    bank_line: Any = None
    mandate: Any = None
    debit_return: Any = None
    refund: Any = None
    curriculum: Any = None  # issue 10: the BE+ curriculum and a registered BE+ student of its year
    student: Any = None
    studies_jury: Any = None  # issue 10 item 5: an open studies jury of the curriculum, the juror seated
    jury_outcome: Any = None
    job: Any = None  # issue 11 item 5: a finished background export of finance's


# How each URL of the table reaches the subject's objects.
KWARGS: dict[str, Callable[[Subject], dict[str, Any]]] = {
    "dossier_detail": lambda s: {"pk": s.dossier.pk},
    "dossier_section": lambda s: {"pk": s.dossier.pk, "section": "identity"},
    "dossier_documents": lambda s: {"pk": s.dossier.pk},
    "document_download": lambda s: {"pk": s.dossier.pk, "file_pk": s.file.pk},
    "dossier_fee": lambda s: {"pk": s.dossier.pk},
    "dossier_submit": lambda s: {"pk": s.dossier.pk},
    "interview_respond": lambda s: {"pk": s.dossier.pk, "interview_pk": s.interview.pk},
    "decision_letter": lambda s: {"pk": s.dossier.pk},
    "dossier_withdraw": lambda s: {"pk": s.dossier.pk},
    "staff_dossier": lambda s: {"pk": s.dossier.pk},
    "staff_document_view": lambda s: {"pk": s.dossier.pk, "file_pk": s.file.pk},
    "document_verdict": lambda s: {"pk": s.dossier.pk, "file_pk": s.file.pk},
    "dossier_complete": lambda s: {"pk": s.dossier.pk},
    "dossier_incomplete": lambda s: {"pk": s.dossier.pk},
    "opinion_give": lambda s: {"pk": s.dossier.pk},
    "interview_propose": lambda s: {"pk": s.dossier.pk},
    "interview_notes": lambda s: {"pk": s.dossier.pk, "interview_pk": s.interview.pk},
    "dossier_move": lambda s: {"pk": s.dossier.pk},
    "dossier_international": lambda s: {"pk": s.dossier.pk},
    "director_export": lambda s: {"program_pk": s.dossier.offering.program_id},
    "sitting_detail": lambda s: {"pk": s.sitting_id},
    "decision_record": lambda s: {"pk": s.sitting_id, "dossier_pk": s.dossier.pk},
    "sitting_close": lambda s: {"pk": s.sitting_id},
    "sitting_minutes": lambda s: {"pk": s.sitting_id},
    "sitting_letters": lambda s: {"pk": s.sitting_id},
    "job_detail": lambda s: {"pk": s.job.pk},
    "job_download": lambda s: {"pk": s.job.pk},
    "fee_payment_confirm": lambda s: {"pk": s.payment.pk},
    "fee_payment_reject": lambda s: {"pk": s.payment.pk},
    "registration_form": lambda s: {"pk": s.dossier.pk},
    "registration_file_upload": lambda s: {"pk": s.dossier.pk},
    "registration_file_download": lambda s: {"pk": s.dossier.pk, "file_pk": s.reg_file.pk},
    "registration_complete": lambda s: {"pk": s.dossier.pk},
    "offer_decline": lambda s: {"pk": s.dossier.pk},
    "visa_page": lambda s: {"pk": s.dossier.pk},
    "visa_letter": lambda s: {"pk": s.dossier.pk},
    "staff_registration": lambda s: {"pk": s.dossier.pk},
    "offer_extend": lambda s: {"pk": s.dossier.pk},
    "waitlist_move": lambda s: {"pk": s.dossier.pk},
    "registration_bac5_verdict": lambda s: {"pk": s.dossier.pk},
    "visa_decide": lambda s: {"pk": s.dossier.pk},
    "registrations": lambda s: {},
    "registrations_export": lambda s: {},
    "students": lambda s: {},
    "students_export": lambda s: {},
    "visa_cases": lambda s: {},
    "registration_file_verdict": lambda s: {"pk": s.dossier.pk, "file_pk": s.reg_file.pk},
    "ledger": lambda s: {},
    "ledger_export": lambda s: {},
    "ledger_dossier": lambda s: {"pk": s.dossier.pk},
    "statements": lambda s: {},
    "statement_detail": lambda s: {"pk": s.statement.pk},
    "triage": lambda s: {},
    "bank_line_action": lambda s: {"pk": s.bank_line.pk},
    "mandate_sign": lambda s: {"pk": s.dossier.pk},
    "mandate_pdf": lambda s: {"pk": s.dossier.pk},
    "mandates": lambda s: {},
    "mandate_detail": lambda s: {"pk": s.mandate.pk},
    "flywire_payments": lambda s: {},
    "debit_returns": lambda s: {},
    "debit_return_action": lambda s: {"pk": s.debit_return.pk},
    "refunds": lambda s: {},
    "refunds_export": lambda s: {},
    "refund_action": lambda s: {"pk": s.refund.pk},
    "debits": lambda s: {},
    "debit_batch": lambda s: {"pk": s.debit_return.item.batch_id},
    "debit_batch_xml": lambda s: {"pk": s.debit_return.item.batch_id},
    "debit_batch_action": lambda s: {"pk": s.debit_return.item.batch_id},
    "curricula": lambda s: {},
    "curriculum_detail": lambda s: {"pk": s.curriculum.pk},
    "curriculum_copy": lambda s: {"pk": s.curriculum.pk},
    "study_students": lambda s: {"pk": s.curriculum.pk},
    "thesis_edit": lambda s: {"pk": s.student.pk},
    "renewal_create": lambda s: {"pk": s.student.pk},
    "studies_juries": lambda s: {},
    "studies_jury": lambda s: {"pk": s.studies_jury.pk},
    "studies_jury_outcome": lambda s: {"pk": s.studies_jury.pk, "outcome_pk": s.jury_outcome.pk},
    "studies_jury_close": lambda s: {"pk": s.studies_jury.pk},
    "studies_jury_minutes": lambda s: {"pk": s.studies_jury.pk},
    "studies_degrees_export": lambda s: {"pk": s.studies_jury.pk},
    "staff_transcript": lambda s: {"pk": s.student.pk},
    "grade_subjects": lambda s: {},
    "grade_import": lambda s: {},
    "grade_grid": lambda s: {"pk": s.curriculum.subjects.order_by("pk").first().pk},
    "grades_publish": lambda s: {"pk": s.curriculum.subjects.order_by("pk").first().pk},
    "my_transcript": lambda s: {"pk": s.student.pk},
    "office_queue": lambda s: {},
    "director_list": lambda s: {},
    "sittings": lambda s: {},
    "fee_payments": lambda s: {},
}
# Every field any form of the table reads, with a plausible value.
POST_DATA = {
    "last_name": "Pirate",
    "outcome": "refused",
    "verdict": "refused",
    "reason": "x",
    "notes": "x",
    "missing": "x",
    "value": "yes",
    "favourable": "False",
    "comment": "x",
    "booked_on": "2025-01-01",
    "note": "x",
    "answer": "confirm",
}
# What does not open a dossier by its id. Every other URL of the table does, and a draft must open by
# none of them to anyone but its candidate. `decision_record` gives the same message for any dossier
# that is not on its sitting's screen (issue 6 item 9), whatever it is, so it reveals nothing.
NOT_BY_DOSSIER_ID = {
    "director_export",
    "sitting_detail",
    "sitting_close",
    "sitting_minutes",
    "sitting_letters",
    "job_detail",
    "job_download",
    "decision_record",
    "fee_payment_confirm",
    "fee_payment_reject",
    "office_queue",
    "director_list",
    "sittings",
    "fee_payments",
    "registrations",
    "registrations_export",
    "students",
    "students_export",
    "visa_cases",
    "ledger",
    "ledger_export",
    "statements",
    "statement_detail",
    "triage",
    "bank_line_action",
    "mandates",
    "mandate_detail",
    "flywire_payments",
    "debit_returns",
    "debit_return_action",
    "refunds",
    "refunds_export",
    "refund_action",
    "debits",
    "debit_batch",
    "debit_batch_xml",
    "debit_batch_action",
    "curricula",
    "curriculum_detail",
    "curriculum_copy",
    "study_students",
    "thesis_edit",
    "renewal_create",
    "studies_juries",
    "studies_jury",
    "studies_jury_outcome",
    "studies_jury_close",
    "studies_jury_minutes",
    "studies_degrees_export",
    "staff_transcript",
    "grade_subjects",
    "grade_import",
    "grade_grid",
    "grades_publish",
    "my_transcript",
}
DOSSIER_URLS = sorted(set(KWARGS) - NOT_BY_DOSSIER_ID)
# Finance's money page of a person, which carries what identifies the payer (like its fee payments):
# a fee paid by card on request comes before the submission (I3). No other page of a draft.
FINANCE_REACHES_DRAFTS = {("finance", "ledger_dossier")}


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            namespace = getattr(p, "namespace", None)
            if namespace == "admin" or (getattr(p, "urlconf_name", None) == "allauth.urls"):
                continue  # the admin checks its own permissions; allauth takes no object ids
            module = getattr(p.urlconf_module, "__name__", "")
            if module.startswith("allauth"):
                continue
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def id_taking_url_names() -> set[str]:
    names = set()
    for route, pattern in _walk(get_resolver().url_patterns):
        if "<int:" in route or "pk>" in route or "_id>" in route:
            names.add(pattern.name or route)
    return names


def staff_list_url_names() -> set[str]:
    return {
        pattern.name or route
        for route, pattern in _walk(get_resolver().url_patterns)
        if route.startswith("gestion/") and "<" not in route
    }


def test_every_id_taking_url_has_a_row() -> None:
    """A new URL that takes an id, or a new staff list, fails here until REACH has its row."""
    needed = (id_taking_url_names() - PUBLIC) | staff_list_url_names()
    assert not needed - set(REACH), f"add rows to REACH for: {sorted(needed - set(REACH))}"
    assert set(REACH) <= needed | staff_list_url_names(), sorted(set(REACH) - needed)
    assert set(KWARGS) == set(REACH)
    assert all(len(cells) == len(ROLES) for cells in REACH.values())


def _person(role: str, subject: Subject, request: Any) -> Any:
    from tests.conftest import make_user

    if role == "owner":
        return subject.dossier.candidate
    if role == "lone_juror":
        return make_user("lone.juror@example.org", group="Jury members")
    fixture = {"director": "director_be", "juror": "sitting_member"}.get(role, role)
    return request.getfixturevalue(fixture)


@pytest.fixture
def owned(at_jury: Dossier, sitting_member: Any, office: Any) -> tuple[Dossier, Any]:
    """A dossier that went all the way: files, an interview, a final decision."""
    from django.utils import timezone

    from admission import services as adm
    from admission.models import Interview

    adm.decision_record(dossier=at_jury, by=sitting_member, outcome="admitted")
    adm.sitting_close(sitting=at_jury.sitting, by=office, reason="closed before its date (test)")  # type: ignore[arg-type]
    # The letter goes: the candidate holds an open offer (issue 8).
    adm.decision_notify(decision_id=at_jury.decision.pk)
    Interview.objects.create(dossier=at_jury, starts_at=timezone.now(), mode="phone", proposed_by=office)
    return at_jury, at_jury.files.first()


@pytest.fixture
def subject(owned: tuple[Dossier, Any], finance: Any) -> Subject:
    import io

    from applications.demo import tiny_pdf
    from registration.services.files import registration_file_upload

    dossier, f = owned
    data = tiny_pdf("CVEC")
    reg_file = registration_file_upload(
        dossier=dossier,
        by=dossier.candidate,
        kind="cvec",
        fileobj=io.BytesIO(data),
        name="cvec.pdf",
        size=len(data),
    )
    # A statement of the dossier's institution with one unmatched credit (issue 9).
    import datetime as dt
    from decimal import Decimal

    from billing.models import BankLine, StatementImport

    institution = dossier.offering.session.institution
    statement = StatementImport.objects.create(
        institution=institution, original_name="releve.txt", sha256="0" * 64
    )
    bank_line = BankLine.objects.create(
        institution=institution,
        statement=statement,
        dedup_key="sha:access",
        booked_on=dt.date(2025, 3, 3),
        amount=Decimal("60.00"),
        payer="INCONNU",
    )
    subject = Subject(
        dossier,
        f,
        dossier.interviews.get(),
        FeePayment.objects.get(dossier=dossier),
        dossier.sitting_id,
        reg_file,
        statement,
        bank_line,
        _signed_mandate(dossier, institution),
        *_return_and_refund(dossier),
    )
    subject.curriculum, subject.student = _studies(dossier)
    subject.studies_jury, subject.jury_outcome = _studies_jury(subject.curriculum, subject.student)
    subject.job = _export_job(finance)
    return subject


def _export_job(owner: Any) -> Any:
    """Issue 11 item 5: a finished background export with its file (made directly)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from jobs.models import Job

    job = Job.objects.create(
        kind="export", owner=owner, title="grand-livre.csv", status="done", total=1, done=1
    )
    job.file = default_storage.save(f"exports/{owner.pk}/{job.pk}.csv", ContentFile(b"a;b\r\n"))
    job.filename = "grand-livre.csv"
    job.save()
    return job


def _studies(dossier: Dossier) -> tuple[Any, Any]:
    """Issue 10: the curriculum of the dossier's program and a registered student of its year (ORM)."""
    from tests.test_studies_curriculum import build_curriculum, make_student

    session = dossier.offering.session
    import datetime as dt

    curriculum = build_curriculum(dossier.offering.program, resit_session_on=dt.date(2026, 6, 15))
    # Its training agreement ends before the resit session: flagged for renewal (R1.11).
    student = make_student(
        session,
        dossier.offering.program.code,
        "student.access@example.org",
        agreement_ends_on=dt.date(2026, 6, 1),
    )
    return curriculum, student


def _studies_jury(curriculum: Any, student: Any) -> tuple[Any, Any]:
    """Issue 10 item 5: an open studies jury (dated yesterday) of the curriculum with the student's
    proposed outcome; the juror of the admission sitting sits on it (made with the ORM)."""
    import datetime as dt

    from accounts.models import User
    from studies.models import JuryOutcome, StudiesJury

    jury = StudiesJury.objects.create(curriculum=curriculum, sits_on=dt.date.today() - dt.timedelta(days=1))
    jury.members.add(User.objects.get(email="jury@example.org"))
    return jury, JuryOutcome.objects.create(jury=jury, student=student, proposed="degree")


def _return_and_refund(dossier: Dossier) -> tuple[Any, Any]:
    """A direct debit of another registered dossier of the same session, returned, and a refund to pay
    (issue 9 items 8 and 9), made with the ORM."""
    import datetime as dt
    from decimal import Decimal

    from billing.models import DebitReturn, Refund, ReturnKind, ReturnSource
    from tests.test_billing_returns import make_debit, registered_dossier

    item = make_debit(registered_dossier(dossier.offering.session, email="debtor.access@example.org"))
    ret = DebitReturn.objects.create(
        item=item,
        kind=ReturnKind.RETURN,
        source=ReturnSource.MANUAL,
        reason_code="AM04",
        amount=item.amount,
        received_on=dt.date(2026, 1, 20),
        dedup_key="access:return",
    )
    return ret, Refund.objects.create(due=item.due, reason="overpayment", amount=Decimal("1.00"))


def _signed_mandate(dossier: Dossier, institution: Any) -> Any:
    """A signed SEPA mandate of the dossier's registration (issue 9 item 7), made directly: the
    registration stays a draft for the other rows."""
    from billing.models import Mandate
    from billing.services.mandates import mandate_sign
    from registration.services.enrolment import registration_open

    mandate = Mandate.objects.create(
        institution=institution,
        registration=registration_open(dossier=dossier, by=dossier.candidate),
        academic_year="2025-2026",
        debtor_kind="student",
        reference="CURSUS-ACCESS-1",
        creditor_id="FR72ZZZ123456",
        debtor_name=dossier.full_name,
        debtor_email=dossier.candidate.email,
        town="Douai",
        country="FR",
    )
    return mandate_sign(
        mandate=mandate,
        iban="FR7630006000011234567890189",
        bic="",
        debtor_name=dossier.full_name,
        street="",
        postcode="59500",
        town="Douai",
        country="FR",
        consent=True,
        ip="192.0.2.1",
        user_agent="test",
    )


@pytest.mark.parametrize("role", ROLES)
def test_issue6_4_each_role_reaches_what_the_table_says(
    client: Any, subject: Subject, request: Any, role: str
) -> None:
    """SPEC §0, issue 6 item 4: every URL of REACH, GET then POST, as this role."""
    if role != "anonymous":
        assert client.login(email=_person(role, subject, request).email, password=PASSWORD)
    column = ROLES.index(role)
    expected, got = {}, {}
    # Declining is the owner's right and ends the offer: it goes last.
    for name in sorted(REACH, key=lambda n: (n == "offer_decline", n)):
        url = reverse(name, kwargs=KWARGS[name](subject))
        get = client.get(url)
        post = client.post(url, POST_DATA)
        expected[name] = REACH[name][column]
        got[name] = f"{get.status_code}/{post.status_code}"
        if role == "anonymous":
            assert get["Location"].startswith(reverse("account_login")), name
    assert got == expected
    subject.dossier.refresh_from_db()
    assert subject.dossier.last_name != "Pirate"
    assert subject.dossier.status == ("declined" if role == "owner" else "admitted")


@pytest.mark.parametrize("withdrawn", [False, True], ids=["draft", "withdrawn_before_submitting"])
def test_issue6_4_no_staff_role_opens_a_draft(
    client: Any, subject: Subject, open_session: Any, request: Any, withdrawn: bool
) -> None:
    """A dossier never submitted (a draft, or withdrawn before it ever was) is the candidate's alone:
    404 for every other role by every URL that takes its id; the owner still reads it."""
    from applications.services import dossier_open, dossier_withdraw
    from tests.conftest import fill_dossier, make_user, offering

    carol = make_user("carol@example.org")
    ready = fill_dossier(dossier_open(candidate=carol, offering=offering(open_session, "BE+")))
    if withdrawn:
        dossier_withdraw(dossier=ready, by=carol, reason="changed my mind")
    Interview.objects.create(
        dossier=ready, starts_at=subject.interview.starts_at, mode="phone", proposed_by=carol
    )
    draft = Subject(
        ready,
        ready.files.first(),
        ready.interviews.get(),
        FeePayment.objects.get(dossier=ready),
        subject.sitting_id,
        subject.reg_file,
        subject.statement,
        subject.bank_line,
    )
    # Every staff role could otherwise reach it: its director, and a juror whose sitting it is on.
    draft.dossier.sitting_id = subject.sitting_id
    Dossier.objects.filter(pk=ready.pk).update(sitting_id=subject.sitting_id)
    for role in ROLES[2:]:
        client.logout()
        assert client.login(email=_person(role, subject, request).email, password=PASSWORD)
        for name in DOSSIER_URLS:
            if (role, name) in FINANCE_REACHES_DRAFTS:
                continue
            url = reverse(name, kwargs=KWARGS[name](draft))
            assert client.get(url).status_code in {404, 405}, (role, name)
            assert client.post(url, POST_DATA).status_code == 404, (role, name)
    client.logout()
    client.login(email=ready.candidate.email, password=PASSWORD)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 200
    assert client.get(reverse("document_download", args=[ready.pk, draft.file.pk])).status_code == 200


def test_unknown_ids_are_404_not_500(client: Any, candidate: Any) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    assert client.get(reverse("dossier_detail", args=[999999])).status_code == 404
    assert client.get(reverse("document_download", args=[999999, 1])).status_code == 404


def test_R2_2_director_reads_complete_dossiers_of_own_program_only(
    client: Any, ready: Dossier, director_other: Any, office: Any, finance: Any
) -> None:
    from catalog.models import Program
    from tests.conftest import make_complete

    services.dossier_submit(dossier=ready, by=ready.candidate)
    Program.objects.get(code="BE+").directors.add(director_other)
    client.login(email=director_other.email, password=PASSWORD)
    # submitted but not checked yet: not for the director (R2.2)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 404
    make_complete(ready, office, finance)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 200
    Program.objects.get(code="BE+").directors.remove(director_other)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 404


def test_candidate_reaches_no_staff_page(client: Any, candidate: Any) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get("/admin/applications/dossier/").status_code == 302


def test_finance_confirms_a_declared_fee_with_its_booking_date(
    client: Any, ready: Dossier, finance: Any
) -> None:
    payment = FeePayment.objects.get(dossier=ready)
    client.login(email=finance.email, password=PASSWORD)
    page = client.get(reverse("fee_payments"), {"q": "LEFEVRE"}).content.decode()
    assert payment.reference in page
    client.post(reverse("fee_payment_confirm", args=[payment.pk]), {"booked_on": "2099-01-01"})
    payment.refresh_from_db()
    assert payment.status == "declared"  # a future booking date is refused
    client.post(reverse("fee_payment_confirm", args=[payment.pk]), {"booked_on": str(payment.paid_on)})
    payment.refresh_from_db()
    assert (
        payment.status == "confirmed"
        and payment.booked_on == payment.paid_on
        and payment.confirmed_by == finance
    )


def test_fee_list_query_count_is_constant(
    client: Any, finance: Any, open_session: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import fill_dossier, make_user, offering

    def add(n: int) -> None:
        for i in range(n):
            user = make_user(f"c{i}-{FeePayment.objects.count()}@example.org")
            fill_dossier(
                services.dossier_open(candidate=user, offering=offering(open_session, "CSE")), documents=False
            )

    client.login(email=finance.email, password=PASSWORD)
    client.get(reverse("fee_payments"))  # the first page after signing in may write the session
    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("fee_payments"))
    add(12)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("fee_payments"))
    assert len(many) == len(few)


def test_jury_member_sees_only_the_sittings_they_sit_on(
    client: Any, owned: tuple[Dossier, Any], sitting_member: Any
) -> None:
    from admission.models import JurySitting

    dossier, _f = owned
    client.login(email=sitting_member.email, password=PASSWORD)
    page = client.get(reverse("sittings")).content.decode()
    mine = dossier.sitting
    assert mine is not None and mine.name in page
    others = JurySitting.objects.exclude(pk=mine.pk)
    assert all(o.name not in page for o in others if o.session_id == mine.session_id)
    assert all(client.get(reverse("sitting_detail", args=[o.pk])).status_code == 404 for o in others)


def test_director_export_of_another_program_is_404(
    client: Any, owned: tuple[Dossier, Any], director_be: Any
) -> None:
    from catalog.models import Program

    client.login(email=director_be.email, password=PASSWORD)
    other = Program.objects.get(code="MRPT")
    assert client.get(reverse("director_export", args=[other.pk])).status_code == 404
    assert client.get(reverse("director_list"), {"program": other.pk}).status_code == 404
    csv_text = client.get(reverse("director_export", args=[owned[0].offering.program_id])).content.decode(
        "utf-8-sig"
    )
    assert owned[0].last_name in csv_text


@pytest.mark.parametrize("role", ["anonymous", "owner", "finance"])
def test_R2_10_flywire_endpoint_is_public_but_leaks_nothing(
    client: Any, subject: Subject, request: Any, role: str, settings: Any
) -> None:
    """Flywire's callback (issue 9 item 5) takes no login and no id, so it has no REACH row: whoever
    calls it gets 405 but for POST, and 401 without the digest, whatever their session."""
    from billing.models import FlywireEvent

    settings.FLYWIRE_SHARED_SECRET = "configured"
    if role != "anonymous":
        assert client.login(email=_person(role, subject, request).email, password=PASSWORD)
    url = reverse("flywire_notification")
    assert client.get(url).status_code == 405
    assert client.post(url, POST_DATA).status_code == 401
    assert client.post(url, b"{}", content_type="application/json").status_code == 401
    assert not FlywireEvent.objects.exists()
