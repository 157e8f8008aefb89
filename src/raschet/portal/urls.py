"""URLs of the resident portal, mounted at ``/portal/``."""

from django.urls import path

from raschet.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.sign_up, name="signup"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("link/", views.link_account, name="link"),
    path("accounts/<int:pk>/", views.account_view, name="account"),
    path("penalty/", views.penalty_calculator, name="penalty"),
]
