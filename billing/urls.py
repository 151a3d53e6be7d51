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
