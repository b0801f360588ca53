from django.http import HttpResponse
from django.urls import path

app_name = "mail"
urlpatterns = [path("", lambda request: HttpResponse("mail"), name="list")]
