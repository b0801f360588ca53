"""Which language a person is spoken to in (docs/i18n.md).

Pages: a signed-in customer's profile language, a signed-in member of staff's console language
(the switcher, used while signed in, changes either); a visitor's explicit choice (the switcher's
cookie); else the browser's Accept-Language; else English. The person's language rides in their
session, read from their record on the session's first page and written again whenever they
change it. The Django admin stays English (its model names are not translated), and the API
answers in the Accept-Language of the call. Mail and in-app notices: the recipient's language,
with or without a request (notifications.services.notification_send).
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from onboarding.core.middleware import signed_in
from onboarding.core.roles import Role

# The signed-in person's language, kept in their session so a page costs no extra query for it
# (read once per session; every change through a request writes it here too).
SESSION_KEY = "person_language"
ENGLISH_ONLY_PREFIXES = ("/admin",)
API_PREFIX = "/api/"


def supported_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def staff_languages() -> list[str]:
    return [code for code, _name in settings.STAFF_LANGUAGES]


def offered_languages(user) -> list[tuple[str, str]]:
    """The languages the switcher offers `user`: the console's to staff, the site's to others
    (also when a page is rendered without a request, and so without a user)."""
    if getattr(user, "is_authenticated", False) and getattr(user, "is_staff_role", False):
        return list(settings.STAFF_LANGUAGES)
    return list(settings.LANGUAGES)


def language_or_default(code: str | None) -> str:
    """`code` if the site speaks it (a regional variant such as de-AT counts as de), else the
    site's default language."""
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def browser_language(request: HttpRequest) -> str:
    """The visitor's explicit choice (cookie), else their browser's Accept-Language."""
    return language_or_default(translation.get_language_from_request(request))


def customer_language(user) -> str | None:
    """The profile language of a signed-in customer; None for anyone else."""
    if user is None or not user.is_authenticated or user.role != Role.CUSTOMER:
        return None
    customer = getattr(user, "customer", None)  # a customer without a record yet: None
    return customer.language if customer is not None else None


def staff_language(user) -> str | None:
    """The console language of a signed-in member of staff; None for anyone else."""
    if user is None or not user.is_authenticated or not user.is_staff_role:
        return None
    return user.staff_language if user.staff_language in staff_languages() else None


def person_language(user) -> str | None:
    """A customer's profile language or a member of staff's console language; else None."""
    return customer_language(user) or staff_language(user)


def session_language(request: HttpRequest) -> str | None:
    """The signed-in person's language, from their session (read from their record on the
    session's first page); None for a visitor. Never loads an anonymous visitor's user."""
    if not signed_in(request):
        return None
    language = request.session.get(SESSION_KEY)
    if language is None:
        language = person_language(request.user) or ""
        request.session[SESSION_KEY] = language
    return language or None


def session_language_remember(request: HttpRequest, language: str) -> None:
    """After the person changed their language in this request (profile page, API, switcher)."""
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = language


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


class PersonLanguageMiddleware:
    """After LocaleMiddleware (browser, cookie) and authentication: a signed-in person's pages in
    their own language (a customer's profile, a member of staff's console language); the Django
    admin in English; the API in the call's Accept-Language (LocaleMiddleware's choice)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        chosen = None
        if _under(request.path_info, ENGLISH_ONLY_PREFIXES):
            chosen = settings.LANGUAGE_CODE
        elif not request.path_info.startswith(API_PREFIX):
            chosen = session_language(request)
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
