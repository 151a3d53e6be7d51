from django.contrib import admin
from django.urls import include, path

from accounts.views import set_language
from applications import staff_views
from applications import views as app_views
from catalog import views as catalog_views

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("sessions/<int:pk>/", catalog_views.session_detail, name="session_detail"),
    path("espace/", app_views.dashboard, name="dashboard"),
    path("dossiers/new/", app_views.dossier_new, name="dossier_new"),
    path("dossiers/<int:pk>/", app_views.dossier_detail, name="dossier_detail"),
    path("dossiers/<int:pk>/section/<slug:section>/", app_views.dossier_section, name="dossier_section"),
    path("dossiers/<int:pk>/documents/", app_views.dossier_documents, name="dossier_documents"),
    path("dossiers/<int:pk>/documents/<int:file_pk>/", app_views.document_download, name="document_download"),
    path("dossiers/<int:pk>/fee/", app_views.dossier_fee, name="dossier_fee"),
    path("dossiers/<int:pk>/submit/", app_views.dossier_submit, name="dossier_submit"),
    path("gestion/frais/", staff_views.fee_payments, name="fee_payments"),
    path("gestion/frais/<int:pk>/confirmer/", staff_views.fee_payment_confirm, name="fee_payment_confirm"),
    path("gestion/frais/<int:pk>/introuvable/", staff_views.fee_payment_reject, name="fee_payment_reject"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
