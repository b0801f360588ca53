"""A dunning hold's reason in the reader's language.

The reason is recorded in English (`DunningHold.reason`, the admin alert, the audit) by the two
builders below; a page or a manager's mail words it again from its English shape, in the active
language. A reason of another shape is shown as recorded.
"""

import re

from django.utils.translation import gettext, pgettext_lazy

ACCEPTANCE_RED = re.compile(r"^acceptance of contract (?P<contract>.+) is red$")
REQUEST_OPEN = re.compile(r"^open (?P<severity>high|critical) request (?P<reference>REQ-\d+)$")
SEVERITY_IN_A_SENTENCE = {
    "high": pgettext_lazy("a request's severity inside a sentence", "high"),
    "critical": pgettext_lazy("a request's severity inside a sentence", "critical"),
}


def request_hold_reason(*, severity: str, request_id: int) -> str:
    """The recorded (English) reason of a hold placed for an open high or critical request."""
    return f"open {severity} request REQ-{request_id:06d}"


def acceptance_hold_reason(*, contract: str) -> str:
    """The recorded (English) reason of a hold placed for a red acceptance; `contract` as it
    reads (its number, or "Contract #id (not numbered)")."""
    return f"acceptance of contract {contract} is red"


def hold_reason_text(reason: str) -> str:
    """`reason` as recorded, worded in the active language."""
    if found := ACCEPTANCE_RED.match(reason):
        return gettext("acceptance of contract %(contract)s is red") % found.groupdict()
    if found := REQUEST_OPEN.match(reason):
        return gettext("open %(severity)s request %(reference)s") % {
            "severity": SEVERITY_IN_A_SENTENCE[found["severity"]],
            "reference": found["reference"],
        }
    return reason


def hold_reasons_text(reasons: list[str]) -> str:
    """A held customer's reasons as one phrase, in the active language."""
    return "; ".join(hold_reason_text(reason) for reason in reasons) or gettext("service trouble")
