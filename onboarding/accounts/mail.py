"""allauth's mail names the product (mixed into portal.adapters.PortalAccountAdapter).

The project runs without django.contrib.sites, so allauth would take the site's name and domain
from the request's host ("[127.0.0.1:8000] ..."), or, on the outbox path, from nothing at all
("Hello from !"). Every account email is rendered instead with the product's name (SITE_NAME),
its address (SITE_URL) and the recipient's address, and every subject names the product.
The wording is the project's own: templates/account/email/ and templates/mfa/email/.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.encoding import force_str


@dataclass(frozen=True)
class ProductSite:
    """What allauth's templates read from django.contrib.sites' Site: a name and a domain."""

    name: str
    domain: str


def product_site() -> ProductSite:
    url = settings.SITE_URL
    return ProductSite(name=settings.SITE_NAME, domain=urlsplit(url).netloc or url)


def account_mail_context(*, email: str, context: dict) -> dict:
    """allauth's context for one email, with the product's name, address and the recipient's
    address; the product's values win over the request's host allauth would put there."""
    site = product_site()
    return {
        "email": email,
        **context,
        "current_site": site,
        "site_name": site.name,
        "site_domain": site.domain,
        "site_url": settings.SITE_URL,
    }


def account_mail_subject(subject: str) -> str:
    """The subject as written when it names the product; otherwise prefixed with the name."""
    subject = " ".join(force_str(subject).split())
    name = settings.SITE_NAME
    if name.casefold() in subject.casefold():
        return subject
    return f"{name}: {subject}" if subject else name


class AccountMailMixin:
    def format_email_subject(self, subject: str) -> str:
        return account_mail_subject(subject)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(
            template_prefix, email, account_mail_context(email=email, context=context)
        )
