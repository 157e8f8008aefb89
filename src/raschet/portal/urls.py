"""URLs of the resident portal, mounted at ``/portal/``."""

from django.urls import path

from raschet.portal import (
    views,
    views_appeals,
    views_auth,
    views_building,
    views_documents,
    views_payment,
    views_readings,
)

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.sign_up, name="signup"),
    path("login/", views_auth.ThrottledSignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("link/", views.link_account, name="link"),
    path("accounts/<int:pk>/", views.account_view, name="account"),
    path("penalty/", views.penalty_calculator, name="penalty"),
    path("password/reset/", views_auth.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        views_auth.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views_auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views_auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/<int:pk>/unlink/", views_auth.unlink_account, name="unlink"),
    path("accounts/<int:pk>/pay/", views_payment.pay, name="pay"),
    path("sandbox/pay/<uuid:order>/", views_payment.sandbox_pay, name="sandbox_pay"),
    path("acquiring/callback/", views_payment.acquiring_callback, name="acquiring_callback"),
    path("payments/<uuid:order>/", views_payment.payment_result, name="payment_result"),
    path("accounts/<int:pk>/readings/", views_readings.readings_view, name="readings"),
    path("accounts/<int:pk>/documents/", views_documents.documents_view, name="documents"),
    path("accounts/<int:pk>/building/", views_building.building_view, name="building"),
    path(
        "accounts/<int:pk>/documents/<str:period>.pdf",
        views_documents.document_download,
        name="document_download",
    ),
    path("accounts/<int:pk>/appeals/", views_appeals.appeals_view, name="appeals"),
    path("accounts/<int:pk>/appeals/new/", views_appeals.appeal_new, name="appeal_new"),
    path("accounts/<int:pk>/appeals/<int:appeal>/", views_appeals.appeal_view, name="appeal"),
    path(
        "accounts/<int:pk>/appeals/<int:appeal>/files/<int:file>/",
        views_appeals.attachment_download,
        name="appeal_file",
    ),
]
