from django.http import HttpResponse
from django.urls import path

app_name = "alerts"
urlpatterns = [path("", lambda request: HttpResponse("alerts"), name="list")]
