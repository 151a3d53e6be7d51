"""Studies URLs (issue 10), one block per part: add yours at the end of the file."""

from django.urls import path

from studies import curriculum_views, grade_views, jury_views, student_views

urlpatterns = [
    # ---- grades (studies/grade_views.py, studies/student_views.py) ----
    path("gestion/notes/", grade_views.grade_subjects, name="grade_subjects"),
    path("gestion/notes/import/", grade_views.grade_import, name="grade_import"),
    path("gestion/notes/<int:pk>/", grade_views.grade_grid, name="grade_grid"),
    path("gestion/notes/<int:pk>/publier/", grade_views.grades_publish, name="grades_publish"),
    path("etudes/", student_views.my_studies, name="my_studies"),
    path("etudes/<int:pk>/releve.pdf", student_views.my_transcript, name="my_transcript"),
    # ---- curriculum (studies/curriculum_views.py) ----
    path("gestion/etudes/", curriculum_views.curricula, name="curricula"),
    path("gestion/etudes/<int:pk>/", curriculum_views.curriculum_detail, name="curriculum_detail"),
    path("gestion/etudes/<int:pk>/copier/", curriculum_views.curriculum_copy, name="curriculum_copy"),
    path("gestion/etudes/<int:pk>/etudiants/", curriculum_views.study_students, name="study_students"),
    path("gestion/etudes/etudiants/<int:pk>/memoire/", curriculum_views.thesis_edit, name="thesis_edit"),
    path(
        "gestion/etudes/etudiants/<int:pk>/renouveler/",
        curriculum_views.renewal_create,
        name="renewal_create",
    ),
    # ---- jury (studies/jury_views.py) ----
    path("gestion/jurys-etudes/", jury_views.studies_juries, name="studies_juries"),
    path("gestion/jurys-etudes/<int:pk>/", jury_views.studies_jury, name="studies_jury"),
    path(
        "gestion/jurys-etudes/<int:pk>/resultats/<int:outcome_pk>/",
        jury_views.studies_jury_outcome,
        name="studies_jury_outcome",
    ),
    path("gestion/jurys-etudes/<int:pk>/cloture/", jury_views.studies_jury_close, name="studies_jury_close"),
    path(
        "gestion/jurys-etudes/<int:pk>/pv.pdf", jury_views.studies_jury_minutes, name="studies_jury_minutes"
    ),
    path(
        "gestion/jurys-etudes/<int:pk>/diplomes/",
        jury_views.studies_degrees_export,
        name="studies_degrees_export",
    ),
    path(
        "gestion/etudes/etudiants/<int:pk>/releve.pdf", jury_views.staff_transcript, name="staff_transcript"
    ),
]
