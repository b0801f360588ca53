"""The language switcher in every page's footer (docs/i18n.md).

A POST with `language` and `next`: Django's set_language remembers the choice in the language
cookie and goes back to `next` (checked against this site). A signed-in customer's profile
language, or a signed-in member of staff's console language, changes with it, so their mail
follows their choice. A language not offered to them changes nothing and says so.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.i18n import set_language

from onboarding.accounts.language import (
    customer_language,
    offered_languages,
    session_language_remember,
    staff_language,
)
from onboarding.accounts.services import customer_language_set, staff_language_set
from onboarding.core.post_only import post_only
from onboarding.core.redirects import safe_next_url


@post_only(lambda: "/")
def language_switch(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in [code for code, _name in offered_languages(request.user)]:
        messages.error(request, _("Choose one of the languages offered."))
        return redirect(safe_next_url(request, request.POST.get("next")) or "/")
    if customer_language(request.user) is not None:
        customer_language_set(customer=request.user.customer, actor=request.user, language=language)
        session_language_remember(request, language)
    elif staff_language(request.user) is not None:
        staff_language_set(user=request.user, language=language)
        session_language_remember(request, language)
    return set_language(request)
