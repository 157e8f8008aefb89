from django.urls import path

from raschet.backoffice import views

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
]
