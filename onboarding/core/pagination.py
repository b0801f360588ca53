"""Limit/offset pagination for the API with bounds on both numbers.

django-ninja's LimitOffsetPagination takes any limit and offset a client sends; a number past the
database's integer range (`?limit=10**30`) reaches the SQL and fails there (a 500). Here both are
bounded, so such a request is a 422 naming the parameter.
"""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 200
MAX_OFFSET = 10**9


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)  # ninja's own default page
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
