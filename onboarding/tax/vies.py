"""The EU's VAT register (VIES), asked whether a VAT number is registered. Off by default
(settings.TAX_VIES_ENABLED): the check digits (accounts/validators.py) need no network; with it
on, a business's new VAT number is also confirmed with its member state before it is saved,
since the reverse charge depends on it.

The REST API answers GET {TAX_VIES_URL}/ms/{prefix}/vat/{number} with JSON: `isValid`,
`userError` ("VALID", "INVALID" or why the member state could not answer), `requestDate`,
`requestIdentifier`, `name`, `address`.
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from onboarding.tax.selectors import EU_COUNTRIES

logger = logging.getLogger(__name__)

# userError values that say the register could not answer, not that the number is unknown.
_UNANSWERED = frozenset(
    {
        "MS_UNAVAILABLE",
        "MS_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ",
        "SERVICE_UNAVAILABLE",
        "TIMEOUT",
    }
)
# Only member states (and Northern Ireland) are in VIES; Greece's prefix is EL there too.
VIES_PREFIXES = frozenset({"EL" if code == "GR" else code for code in EU_COUNTRIES} | {"XI"})
# A bounded read: the answer is a few hundred bytes.
_MAX_ANSWER_BYTES = 64 * 1024


class ViesUnavailable(Exception):
    """VIES or the member state's register did not answer: nothing is known about the number."""


@dataclass(frozen=True, slots=True)
class ViesAnswer:
    vat_number: str
    valid: bool
    request_date: str = ""
    request_identifier: str = ""
    name: str = ""
    address: str = ""


def vies_applies(vat_number: str) -> bool:
    """Whether VIES knows numbers of this prefix (not GB, CH or NO) and the check is on."""
    return settings.TAX_VIES_ENABLED and vat_number[:2] in VIES_PREFIXES


def vies_check(vat_number: str) -> ViesAnswer:
    """Ask VIES about a normalized VAT number ("DE136695976"). ViesUnavailable when it cannot
    say; never raises for a number it does not know (that is `valid=False`)."""
    prefix, rest = vat_number[:2], vat_number[2:]
    url = "{}/ms/{}/vat/{}".format(
        settings.TAX_VIES_URL.rstrip("/"), urllib.parse.quote(prefix), urllib.parse.quote(rest)
    )
    if not url.startswith(("https://", "http://")):
        raise ViesUnavailable(f"TAX_VIES_URL is not an http(s) address: {url!r}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310 (an http(s) address, checked above)
            request, timeout=settings.TAX_VIES_TIMEOUT_SECONDS
        ) as response:
            body = json.loads(response.read(_MAX_ANSWER_BYTES))
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        logger.warning("VIES did not answer for %s: %s", prefix, exc)
        raise ViesUnavailable(str(exc)) from exc
    user_error = str(body.get("userError") or "")
    if user_error in _UNANSWERED or not isinstance(body.get("isValid"), bool):
        logger.warning("VIES could not answer for %s: %s", prefix, user_error or "no isValid")
        raise ViesUnavailable(user_error or "no answer")
    return ViesAnswer(
        vat_number=vat_number,
        valid=body["isValid"],
        request_date=str(body.get("requestDate") or ""),
        request_identifier=str(body.get("requestIdentifier") or ""),
        name=_shown(body.get("name")),
        address=_shown(body.get("address")),
    )


def _shown(value) -> str:
    """VIES writes "---" where a member state does not disclose a name or address."""
    text = str(value or "").strip()
    return "" if text == "---" else text[:300]
