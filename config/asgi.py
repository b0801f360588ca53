"""The ASGI entry point: the live risk board's event stream (docs/operations.md, "Serving").

`gunicorn -c config/gunicorn.py config.asgi -k uvicorn_worker.UvicornWorker` serves it. The
stream waits on Redis in the event loop and holds no thread (onboarding/risk/board_stream.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

# The event stream's path (onboarding/risk/urls.py, under /staff/risk/).
EVENT_STREAM_PATH = "/staff/risk/events"


async def application(scope, receive, send) -> None:
    """Django's ASGI handler, except that an event stream runs its (sync) middlewares in the
    one thread asgiref keeps for code outside a request context, not in a thread of its own.

    Django gives each request a thread for its sync code and keeps it until the response ends:
    for a stream that is a parked thread, and a database connection (the session, the user),
    per open board for the whole stream. Sharing one thread, the connects of all boards queue
    for a few milliseconds each and use one database connection between them.
    """
    if scope["type"] == "http" and scope["path"] == EVENT_STREAM_PATH:
        await django_application.handle(scope, receive, send)
    else:
        await django_application(scope, receive, send)
