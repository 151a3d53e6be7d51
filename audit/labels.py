"""What an audit action means, in words (issue 7 item 8): the history shows these, never the codes."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTION_LABELS: dict[str, Promise] = {
    "dossier.open": _("Dossier opened"),
    "dossier.section.identity": _("Identity saved"),
    "dossier.section.contact": _("Contact details saved"),
    "dossier.section.eligibility": _("Eligibility saved"),
    "dossier.section.financing": _("Financing saved"),
    "dossier.submit": _("Dossier submitted"),
    "dossier.withdraw": _("Dossier withdrawn"),
    "dossier.complete": _("Dossier marked complete"),
    "dossier.incomplete": _("Dossier returned as incomplete"),
    "dossier.international": _("International flag changed"),
    "dossier.late_after_flag_change": _("Late for the deadline that applies since the flag changed"),
    "dossier.opinion": _("Opinion given"),
    "dossier.route": _("Sent to a jury sitting"),
    "dossier.move": _("Moved to another sitting"),
    "document.upload": _("Document uploaded"),
    "document.verdict": _("Document checked"),
    "document.history.pruned": _("Old versions of a document deleted"),
    "fee.declare": _("Application fee declared"),
    "fee.confirm": _("Application fee confirmed"),
    "fee.reject": _("Application fee payment rejected"),
    "interview.propose": pgettext_lazy("history", "Interview proposed"),
    "interview.respond": _("Candidate answered about the interview"),
    "interview.record": _("Interview recorded"),
    "interview.cancel": _("Interview cancelled"),
    "decision.record": _("Jury decision recorded"),
    "decision.final": _("Decision final (sitting closed)"),
    "decision.notified": _("Decision sent to the candidate"),
    "sitting.close": _("Sitting closed"),
    "privacy.export": _("Personal data downloaded"),
    "privacy.erasure_request": _("Erasure requested"),
    "privacy.dossier_erase": _("Dossier erased"),
    "privacy.account_erase": _("Account erased"),
    "user.roles": _("Staff roles changed"),
    # Registration (issue 8): places, the 15 days, the waiting list.
    "offer.open": _("Place offered (15 days to register)"),
    "offer.sent": _("Waiting-list offer sent (15 days to register)"),
    "offer.from_waitlist": _("Place offered from the waiting list"),
    "offer.remind": _("Registration reminder sent"),
    "offer.lapse": _("15 days over: place no longer guaranteed"),
    "offer.extend": _("Registration window extended"),
    "offer.decline": _("Place declined"),
    "offer.release": _("Place released"),
    "offer.register": _("Place taken by the registration"),
    "dossier.decline": _("Place declined by the candidate"),
    "waitlist.join": _("Put on the waiting list"),
    "waitlist.move": _("Rank on the waiting list changed"),
    "registration.file.upload": _("Registration document uploaded"),
    "registration.file.verdict": _("Registration document checked"),
    # Finance (issue 9)
    "ledger.payment": _("Payment recorded"),
    "due.cancel": _("Amount due cancelled"),
    "statement.upload": _("Bank statement uploaded"),
    "statement.process": _("Bank statement imported"),
    "bank_line.match": _("Bank line matched automatically"),
    "bank_line.accept": _("Proposed match accepted"),
    "bank_line.assign": _("Bank line assigned to an amount due"),
    "bank_line.discard": _("Bank line discarded"),
    "bank_line.comment": _("Comment on a bank line"),
    "bank_line.flywire_payout": _("Bank line reconciled with Flywire payments"),
    # Flywire (issue 9 item 5).
    "flywire.status": _("Flywire payment status updated"),
    "flywire.assign": _("Flywire payment assigned to an amount due"),
    "flywire.reverse": _("Flywire payment reversed: amount due open again"),
    "flywire.payout": _("Flywire payment found in a payout"),
    # SEPA mandates and direct debits (issue 9 items 7 and 8; R3.4, I10).
    "mandate.start": _("Direct debit mandate prepared"),
    "mandate.link_resend": _("Mandate signing link sent to the company"),
    "mandate.sign": _("Direct debit mandate signed"),
    "mandate.prenotify": _("Debtor told the dates and amounts of the debits"),
    "mandate.revoke": _("Direct debit mandate revoked"),
    "mandate.lapse": _("Direct debit mandate lapsed (36 months unused)"),
    "debit_batch.export": _("Direct debit file exported"),
    "debit_batch.download": _("Direct debit file downloaded"),
    "debit_batch.revert": _("Direct debit file reverted"),
    "debit_batch.sent": _("Direct debit file marked sent to the bank"),
    "debit.return": _("Direct debit returned"),
    "debit.return_decide": _("Decision on a returned direct debit"),
    # Refunds (issue 9 item 9; I11, R2.11).
    "refund.create": _("Refund to pay recorded"),
    "refund.paid": _("Refund paid"),
    "refund.cancel": _("Refund cancelled"),
    # Visas (issue 8 item 5; R2.8, I11).
    "visa.efe_number": _("“Études en France” file number recorded"),
    "visa.report": _("Visa refusal reported"),
    "visa.approve": _("Visa refusal approved"),
    "visa.reject": _("Visa refusal proof not accepted"),
    "visa.cancel_registration": _(
        "Registration cancelled after a visa refusal (first instalment to be refunded)"
    ),
    "dossier.cancel_visa": _("Dossier cancelled after a visa refusal"),
    # Registration (issue 8): the registration itself (enrolment).
    "registration.open": _("Administrative registration started"),
    "registration.save": _("Administrative registration saved (draft)"),
    "registration.complete": _("Administrative registration completed"),
    "registration.bac5.validate": _("BAC+5 proof validated: admission definitive"),
    "registration.bac5.refuse": _("BAC+5 proof refused"),
    # Curriculum, thesis and renewal (issue 10 items 1, 2, 6; R1.4, R1.7, R1.11).
    "curriculum.create": _("Curriculum created"),
    "curriculum.update": _("Curriculum's resit policy or session changed"),
    "curriculum.copy": _("Curriculum copied from another year"),
    "curriculum.admin": _("Curriculum changed in the back office"),
    "curriculum.unit.add": _("Teaching unit added"),
    "curriculum.unit.change": _("Teaching unit changed"),
    "curriculum.unit.remove": _("Teaching unit removed"),
    "curriculum.subject.add": _("Subject added"),
    "curriculum.subject.change": _("Subject changed"),
    "curriculum.subject.remove": _("Subject removed"),
    "thesis.save": _("Professional thesis recorded"),
    "thesis.approve": _("Thesis topic approved by the director"),
    "thesis.unapprove": _("Thesis topic approval withdrawn"),
    "renewal.create": _("Training agreement renewed: tuition due again"),
    # Grades (issue 10 item 3; R1.5, I12).
    "grade.set": _("Grade entered or changed"),
    "grades.publish": _("Grades published to the students"),
    # Studies jury (issue 10 item 5; R1.8, R1.9, R1.10, I13).
    "studies_jury.open": _("Studies jury opened"),
    "studies_jury.propose": _("Studies jury outcomes proposed from the grades"),
    "studies_outcome.confirm": _("Studies jury outcome confirmed as proposed"),
    "studies_outcome.override": _("Studies jury outcome overridden (with a reason)"),
    "studies_jury.close": _("Studies jury closed: outcomes final, curriculum ended on its date"),
}


def action_label(code: str) -> str:
    """The words for ``code``; an action added later without words shows as its code, never blank."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
