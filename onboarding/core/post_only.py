"""Form actions that only take a POST, and what a GET there gets instead of a bare 405.

A browser comes to a form's action URL with a GET when the page it showed after a refused
submit kept that URL (a reload asked to resend, declined; Back; the address copied): an empty
"405 Method Not Allowed" strands the person. Such a GET is sent on (303 See Other) to the page
the form lives on; any other method is still refused with 405.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect


def post_only(page_of: Callable[..., str]):
    """Decorate a view that takes POST only; `page_of(**view_kwargs)` is the URL of the page
    its form is on, where a GET or HEAD is sent."""

    def decorate(view):
        @wraps(view)
        def answer(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                return HttpResponseRedirect(page_of(**kwargs), status=303)
            return HttpResponseNotAllowed(["POST"])

        return answer

    return decorate
