from django.urls import path

from screening import views

app_name = "screening"

urlpatterns = [
    # --- Screening page ---
    path("reviews/<slug:slug>/screen/", views.screen, name="screen"),
    path("reviews/<slug:slug>/screen/undo/", views.undo, name="undo"),
    path("reviews/<slug:slug>/screen/<int:record_id>/decide/", views.decide, name="decide"),
    path("reviews/<slug:slug>/screen/progress/", views.screen_progress, name="screen-progress"),
    # --- Record list ---
    path("reviews/<slug:slug>/records/", views.record_list, name="record-list"),
    # --- Exports ---
    path("reviews/<slug:slug>/exports/", views.exports, name="exports"),
    path(
        "reviews/<slug:slug>/exports/records.csv",
        views.export_records_csv,
        name="export-records-csv",
    ),
    path(
        "reviews/<slug:slug>/exports/records.xlsx",
        views.export_records_xlsx,
        name="export-records-xlsx",
    ),
    path(
        "reviews/<slug:slug>/exports/records.ris",
        views.export_records_ris,
        name="export-records-ris",
    ),
    path("reviews/<slug:slug>/exports/audit.csv", views.export_audit_csv, name="export-audit-csv"),
    # --- Ranking and stopping ---
    path("reviews/<slug:slug>/ranking/", views.ranking, name="ranking"),
    path("reviews/<slug:slug>/ranking/settings/", views.ranking_settings, name="ranking-settings"),
    path("reviews/<slug:slug>/ranking/retrain/", views.ranking_retrain, name="ranking-retrain"),
    path("reviews/<slug:slug>/ranking/stop/", views.screening_stop, name="screening-stop"),
    path(
        "reviews/<slug:slug>/ranking/resume/<int:event_id>/",
        views.screening_resume,
        name="screening-resume",
    ),
    # --- Conflicts and dashboard ---
    path("reviews/<slug:slug>/conflicts/", views.conflicts, name="conflicts"),
    path("reviews/<slug:slug>/conflicts/next/", views.conflict_next, name="conflict-next"),
    path(
        "reviews/<slug:slug>/conflicts/<int:record_id>/",
        views.conflict_resolve,
        name="conflict-resolve",
    ),
    path("reviews/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path(
        "reviews/<slug:slug>/dashboard/prisma-numbers/",
        views.prisma_numbers,
        name="prisma-numbers",
    ),
    path("reviews/<slug:slug>/dashboard/prisma.svg", views.prisma_svg, name="prisma-svg"),
    path("reviews/<slug:slug>/dashboard/prisma.png", views.prisma_png, name="prisma-png"),
    path("reviews/<slug:slug>/dashboard/prisma.csv", views.prisma_csv, name="prisma-csv"),
]
