from django.urls import path

from raschet.backoffice import billing, metering, views

app_name = "backoffice"
urlpatterns = [
    path("accounts/<int:pk>/", views.account_card_view, name="account_card"),
    path("import/housing/", views.housing_import_view, name="housing_import"),
    path(
        "import/housing/template.xlsx",
        views.housing_import_template_view,
        {"fmt": "xlsx"},
        name="housing_import_template_xlsx",
    ),
    path(
        "import/housing/template.csv",
        views.housing_import_template_view,
        {"fmt": "csv"},
        name="housing_import_template_csv",
    ),
    path(
        "metering/buildings/<int:building_pk>/sheet/",
        metering.readings_sheet_view,
        name="readings_sheet",
    ),
    path(
        "metering/meters/<int:meter_pk>/reading/",
        metering.reading_submit_view,
        name="reading_submit",
    ),
    path("metering/missing/", metering.missing_readings_view, name="readings_missing"),
    path("metering/flagged/", metering.flagged_readings_view, name="readings_flagged"),
    path(
        "metering/readings/<int:pk>/confirm/",
        metering.reading_confirm_view,
        name="reading_confirm",
    ),
    path("metering/verification/", metering.verification_due_view, name="verification_due"),
    path("billing/runs/", billing.runs_view, name="billing_runs"),
    path("billing/runs/<int:pk>/", billing.run_detail_view, name="billing_run"),
    path("billing/runs/<int:pk>/post/", billing.run_post_view, name="billing_run_post"),
    path("billing/runs/<int:pk>/resume/", billing.run_resume_view, name="billing_run_resume"),
    path("billing/runs/<int:pk>/discard/", billing.run_discard_view, name="billing_run_discard"),
    path("billing/runs/<int:pk>/close/", billing.month_close_view, name="billing_month_close"),
    path("accounts/<int:pk>/charges/", billing.account_charges_view, name="account_charges"),
]
