"""Page numbers and limit/offset, bounded, for the pages and the API.

Pages: `page_number` reads `?page=` with the project's one integer parser, so "²", fullwidth
digits or a number past the database's integers is the first page rather than a 500 (Django's
Paginator then shows the last page for a number past it).

API: django-ninja's LimitOffsetPagination takes any limit and offset a client sends; a number past
the database's integer range (`?limit=10**30`) reaches the SQL and fails there (a 500). Here both
are bounded, so such a request is a 422 naming the parameter.
"""

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from onboarding.core.numbers import parse_query_int

MAX_LIMIT = 200
MAX_OFFSET = 10**9
MAX_PAGE = 100_000


def page_number(request: HttpRequest) -> int:
    """The page of a list page that `?page=` asks for: 1 to MAX_PAGE, else 1."""
    return parse_query_int(request.GET.get("page"), minimum=1, maximum=MAX_PAGE) or 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)  # ninja's own default page
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
