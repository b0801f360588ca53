"""Pieces of config/settings.py that are one job each and long enough to read on their own.

Each piece is a function returning a fresh value that settings.py assigns to its setting, so the
setting's name still stands in settings.py and no other name leaks into django.conf.settings.
"""
