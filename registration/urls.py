"""Registration URLs (issue 8). Candidate pages live under the dossier they belong to; staff pages
under /gestion/. Every id-taking URL has a row in tests/test_access.py."""

from django.urls import path

urlpatterns: list = []

# ---- candidate: registration form, files, decline (registration.candidate_views) --------------

# ---- visas (registration.visa_views) ----------------------------------------------------------

# ---- staff screens (registration.staff_views) -------------------------------------------------
