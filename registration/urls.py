"""Registration URLs (issue 8). Candidate pages live under the dossier they belong to; staff pages
under /gestion/. Every id-taking URL has a row in tests/test_access.py."""

from django.urls import path

from registration import candidate_views, staff_views, visa_views

urlpatterns = [
    # candidate: registration form, files, decline
    path("dossiers/<int:pk>/inscription/", candidate_views.registration_form, name="registration_form"),
    path(
        "dossiers/<int:pk>/inscription/pieces/",
        candidate_views.registration_file_upload_view,
        name="registration_file_upload",
    ),
    path(
        "dossiers/<int:pk>/inscription/pieces/<int:file_pk>/",
        candidate_views.registration_file_download,
        name="registration_file_download",
    ),
    path(
        "dossiers/<int:pk>/inscription/valider/",
        candidate_views.registration_complete_view,
        name="registration_complete",
    ),
    path("dossiers/<int:pk>/place/renoncer/", candidate_views.offer_decline_view, name="offer_decline"),
    # visas (R2.8, I11)
    path("dossiers/<int:pk>/visa/", visa_views.visa_page, name="visa_page"),
    path("dossiers/<int:pk>/visa/attestation.pdf", visa_views.visa_letter, name="visa_letter"),
    # staff screens
    path("gestion/inscriptions/", staff_views.registrations, name="registrations"),
    path("gestion/inscriptions/export/", staff_views.registrations_export, name="registrations_export"),
    path("gestion/inscriptions/<int:pk>/", staff_views.staff_registration, name="staff_registration"),
    path("gestion/inscriptions/<int:pk>/prolonger/", staff_views.offer_extend, name="offer_extend"),
    path("gestion/inscriptions/<int:pk>/rang/", staff_views.waitlist_move, name="waitlist_move"),
    path(
        "gestion/inscriptions/<int:pk>/bac5/",
        candidate_views.registration_bac5_verdict,
        name="registration_bac5_verdict",
    ),
    path(
        "gestion/inscriptions/<int:pk>/pieces/<int:file_pk>/verdict/",
        staff_views.registration_file_verdict,
        name="registration_file_verdict",
    ),
    path("gestion/inscriptions/<int:pk>/visa/", visa_views.visa_decide, name="visa_decide"),
    path("gestion/visas/", visa_views.visa_cases, name="visa_cases"),
    path("gestion/etudiants/", staff_views.students, name="students"),
    path("gestion/etudiants/export/", staff_views.students_export, name="students_export"),
]
