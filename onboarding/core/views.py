from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def staff_home(request: HttpRequest) -> HttpResponse:
    # StaffAccessMiddleware has already refused anyone without a staff role and a second factor.
    return render(request, "core/staff_home.html")
