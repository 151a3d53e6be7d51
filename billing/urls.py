"""Finance URLs (issue 9). Every id-taking URL has a row in tests/test_access.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

# ---- ledger (billing.views) -------------------------------------------------------------------
from billing import views as ledger_views  # noqa: E402

urlpatterns += [
    path("gestion/finance/", ledger_views.ledger, name="ledger"),
    path("gestion/finance/export/", ledger_views.ledger_export, name="ledger_export"),
    path("gestion/finance/dossiers/<int:pk>/", ledger_views.ledger_dossier, name="ledger_dossier"),
]

# ---- statements and triage (billing.statement_views) ------------------------------------------
from billing import statement_views  # noqa: E402

urlpatterns += [
    path("gestion/finance/releves/", statement_views.statements, name="statements"),
    path("gestion/finance/releves/<int:pk>/", statement_views.statement_detail, name="statement_detail"),
    path("gestion/finance/a-traiter/", statement_views.triage, name="triage"),
    path("gestion/finance/lignes/<int:pk>/", statement_views.bank_line_action, name="bank_line_action"),
]

# ---- mandates (billing.mandate_views) ---------------------------------------------------------
from billing import mandate_views  # noqa: E402

urlpatterns += [
    path("dossiers/<int:pk>/inscription/mandat/", mandate_views.mandate_sign, name="mandate_sign"),
    path("dossiers/<int:pk>/inscription/mandat.pdf", mandate_views.mandate_pdf, name="mandate_pdf"),
    path("mandat/<str:token>/", mandate_views.mandate_company_sign, name="mandate_company_sign"),
    path("gestion/finance/mandats/", mandate_views.mandates, name="mandates"),
    path("gestion/finance/mandats/<int:pk>/", mandate_views.mandate_detail, name="mandate_detail"),
]

# ---- Flywire (billing.flywire_views) -----------------------------------------------------------
from billing import flywire_views  # noqa: E402

urlpatterns += [
    path("paiements/flywire/notifications/", flywire_views.flywire_notification, name="flywire_notification"),
    path("gestion/finance/flywire/", flywire_views.flywire_payments, name="flywire_payments"),
]

# ---- direct debits (billing.debit_views) -------------------------------------------------------
from billing import debit_views  # noqa: E402

urlpatterns += [
    path("gestion/finance/prelevements/", debit_views.debits, name="debits"),
    path("gestion/finance/prelevements/<int:pk>/", debit_views.debit_batch, name="debit_batch"),
    path(
        "gestion/finance/prelevements/<int:pk>/fichier.xml",
        debit_views.debit_batch_xml,
        name="debit_batch_xml",
    ),
    path(
        "gestion/finance/prelevements/<int:pk>/action/",
        debit_views.debit_batch_action,
        name="debit_batch_action",
    ),
]

# ---- returns and refunds (billing.return_views) ------------------------------------------------
from billing import return_views  # noqa: E402

urlpatterns += [
    path("gestion/finance/rejets/", return_views.debit_returns, name="debit_returns"),
    path("gestion/finance/rejets/<int:pk>/", return_views.debit_return_action, name="debit_return_action"),
    path("gestion/finance/remboursements/", return_views.refunds, name="refunds"),
    path("gestion/finance/remboursements/export/", return_views.refunds_export, name="refunds_export"),
    path("gestion/finance/remboursements/<int:pk>/", return_views.refund_action, name="refund_action"),
]
