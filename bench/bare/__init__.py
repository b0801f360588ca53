"""The framework's floor for bench/pages.py: bare Django, two middlewares, one view."""
