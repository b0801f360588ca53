from django.core.mail.backends.locmem import EmailBackend as DatabaseMailboxBackend  # placeholder

__all__ = ["DatabaseMailboxBackend"]
