"""`gunicorn -c config/gunicorn.py bench.bare.wsgi`, with the same settings as the product."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare.settings")
application = get_wsgi_application()
