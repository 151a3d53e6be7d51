from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts.views import set_language
from admission import candidate_views as adm_candidate
from admission import views as adm
from applications import staff_views
from applications import views as app_views
from catalog import views as catalog_views
from cursus.health import health
from jobs import views as jobs_views
from privacy import views as privacy_views

# The admin signs in through the site's login: same throttling, same second factor (issue 6 §2).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("sante/", health, name="health"),
    path("sessions/<int:pk>/", catalog_views.session_detail, name="session_detail"),
    path("espace/", app_views.dashboard, name="dashboard"),
    path("dossiers/new/", app_views.dossier_new, name="dossier_new"),
    path("dossiers/<int:pk>/", app_views.dossier_detail, name="dossier_detail"),
    path("dossiers/<int:pk>/section/<slug:section>/", app_views.dossier_section, name="dossier_section"),
    path("dossiers/<int:pk>/documents/", app_views.dossier_documents, name="dossier_documents"),
    path("dossiers/<int:pk>/documents/<int:file_pk>/", app_views.document_download, name="document_download"),
    path("dossiers/<int:pk>/fee/", app_views.dossier_fee, name="dossier_fee"),
    path("dossiers/<int:pk>/submit/", app_views.dossier_submit, name="dossier_submit"),
    path(
        "dossiers/<int:pk>/entretiens/<int:interview_pk>/",
        adm_candidate.interview_respond,
        name="interview_respond",
    ),
    path("dossiers/<int:pk>/decision.pdf", adm_candidate.decision_letter, name="decision_letter"),
    path("dossiers/<int:pk>/retrait/", adm_candidate.dossier_withdraw, name="dossier_withdraw"),
    path("gestion/dossiers/", adm.office_queue, name="office_queue"),
    path("gestion/dossiers/<int:pk>/", adm.staff_dossier, name="staff_dossier"),
    path(
        "gestion/dossiers/<int:pk>/pieces/<int:file_pk>/", adm.staff_document_view, name="staff_document_view"
    ),
    path(
        "gestion/dossiers/<int:pk>/pieces/<int:file_pk>/verdict/",
        adm.document_verdict,
        name="document_verdict",
    ),
    path("gestion/dossiers/<int:pk>/complet/", adm.dossier_complete, name="dossier_complete"),
    path("gestion/dossiers/<int:pk>/incomplet/", adm.dossier_incomplete, name="dossier_incomplete"),
    path("gestion/dossiers/<int:pk>/avis/", adm.opinion_give, name="opinion_give"),
    path("gestion/dossiers/<int:pk>/entretien/", adm.interview_propose, name="interview_propose"),
    path(
        "gestion/dossiers/<int:pk>/entretiens/<int:interview_pk>/notes/",
        adm.interview_notes,
        name="interview_notes",
    ),
    path("gestion/dossiers/<int:pk>/jury/", adm.dossier_move, name="dossier_move"),
    path("gestion/dossiers/<int:pk>/international/", adm.dossier_international, name="dossier_international"),
    path("gestion/programmes/", adm.director_list, name="director_list"),
    path("gestion/programmes/<int:program_pk>/export.csv", adm.director_export, name="director_export"),
    path("gestion/jurys/", adm.sittings, name="sittings"),
    path("gestion/jurys/<int:pk>/", adm.sitting_detail, name="sitting_detail"),
    path(
        "gestion/jurys/<int:pk>/dossiers/<int:dossier_pk>/decision/",
        adm.decision_record,
        name="decision_record",
    ),
    path("gestion/jurys/<int:pk>/cloture/", adm.sitting_close, name="sitting_close"),
    path("gestion/jurys/<int:pk>/pv.pdf", adm.sitting_minutes, name="sitting_minutes"),
    path("gestion/jurys/<int:pk>/lettres/", adm.sitting_letters, name="sitting_letters"),
    path("exports/<uuid:pk>/", jobs_views.job_detail, name="job_detail"),
    path("exports/<uuid:pk>/fichier/", jobs_views.job_download, name="job_download"),
    path("", include("registration.urls")),
    path("", include("billing.urls")),
    path("", include("studies.urls")),
    path("gestion/frais/", staff_views.fee_payments, name="fee_payments"),
    path("gestion/frais/<int:pk>/confirmer/", staff_views.fee_payment_confirm, name="fee_payment_confirm"),
    path("gestion/frais/<int:pk>/introuvable/", staff_views.fee_payment_reject, name="fee_payment_reject"),
    # GDPR (issue 6 item 7): no id in these URLs, only the signed-in person's own data.
    path("confidentialite/", privacy_views.privacy_notice, name="privacy_notice"),
    path("accessibilite/", privacy_views.accessibility_statement, name="accessibility_statement"),
    path("mes-donnees/", privacy_views.my_data, name="my_data"),
    path("mes-donnees/export.zip", privacy_views.my_data_export, name="my_data_export"),
    path("mes-donnees/effacement/", privacy_views.my_data_erase, name="my_data_erase"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
