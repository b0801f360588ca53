from django.urls import path

from onboarding.portal import views

# The pages of a customer's account: every app and template reverses them as accounts:<name>.
app_name = "accounts"
urlpatterns = [
    path("", views.account_home, name="home"),
    path("profile/", views.profile_edit, name="profile"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:contact_id>/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
]
