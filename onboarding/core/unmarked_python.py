"""Find user-facing messages in Python that are not marked for translation.

An AST check over the customer-facing modules listed in TRANSLATED_MODULES: a string literal (or
an f-string, or a literal's `.format(...)`) passed as the message of `messages.success/error/
warning/info/add_message`, `ValidationError`, `Http404`, or the project's `DomainError` family is
reported by file and line. A message built elsewhere (a variable, a `gettext(...)` call) is not
looked into: what the check sees, it sees reliably; ruff's rules cannot tell a user's message
from any other string. Run with the templates' check by `manage.py check_unmarked_strings`.
"""

import ast
from pathlib import Path

from django.conf import settings

from onboarding.core.unmarked import Unmarked

# Customer-facing modules already translated (docs/i18n.md); a slice adds its own here.
TRANSLATED_MODULES: tuple[str, ...] = (
    "config/api.py",
    "config/openapi.py",
    "onboarding/core/api_errors.py",
    "onboarding/portal/signup.py",
    "onboarding/portal/language.py",
    "onboarding/accounts/forms.py",
    "onboarding/accounts/services.py",
    # Billing text made outside a page (invoice lines, tax wording, decline reasons).
    "onboarding/billing/line_texts.py",
    "onboarding/tax/wording.py",
    "onboarding/payments/decline_texts.py",
    # The services' refusals a customer meets.
    "onboarding/billing/services.py",
    "onboarding/billing/plan_changes.py",
    "onboarding/billing/forms.py",
    "onboarding/billing/api.py",
    "onboarding/billing/authentication.py",
    "onboarding/payments/methods.py",
    "onboarding/payments/api.py",
    "onboarding/payments/authentication.py",
    "onboarding/contracts/acknowledgement.py",
    "onboarding/contracts/api.py",
    "onboarding/contracts/views.py",
    "onboarding/contracts/lifecycle.py",
    "onboarding/contracts/issuing.py",
    "onboarding/sysops/services.py",
    "onboarding/sysops/forms.py",
    "onboarding/catalog/selectors.py",
    "onboarding/notifications/views.py",
    "onboarding/accounts/validators.py",
    "onboarding/accounts/middleware.py",
    "onboarding/accounts/permissions.py",
    "onboarding/accounts/reauthentication.py",
    "onboarding/accounts/selectors.py",
    "onboarding/core/access.py",
    "onboarding/core/time_zones.py",
    "onboarding/billing/views.py",
    "onboarding/payments/views.py",
    "onboarding/portal/selectors.py",
    "onboarding/portal/views.py",
    # The staff console (German)
    "onboarding/alerts/permissions.py",
    "onboarding/alerts/selectors.py",
    "onboarding/alerts/services.py",
    "onboarding/alerts/views.py",
    "onboarding/audit/forms.py",
    "onboarding/audit/views.py",
    "onboarding/notifications/services.py",
    "onboarding/notifications/views.py",
    "onboarding/webhooks/forms.py",
    "onboarding/webhooks/selectors.py",
    "onboarding/webhooks/services.py",
    "onboarding/webhooks/views.py",
    "onboarding/testclocks/forms.py",
    "onboarding/testclocks/selectors.py",
    "onboarding/testclocks/services.py",
    "onboarding/testclocks/views.py",
    "onboarding/worker/selectors.py",
    "onboarding/worker/services.py",
    "onboarding/worker/views.py",
    # The staff console (German).
    "config/context_processors.py",
    "config/staff_counts.py",
    "config/views.py",
    "onboarding/acceptance/api.py",
    "onboarding/acceptance/forms.py",
    "onboarding/acceptance/requirements.py",
    "onboarding/acceptance/reviews.py",
    "onboarding/acceptance/services.py",
    "onboarding/sysops/acceptance_views.py",
    "onboarding/health/api.py",
    "onboarding/health/forms.py",
    "onboarding/health/reviews.py",
    "onboarding/health/services.py",
    "onboarding/health/views.py",
    "onboarding/risk/selectors.py",
    "onboarding/risk/services.py",
    "onboarding/risk/views.py",
    # Text built from stored data (issue 20): factor explanations, risk reasons, guard refusals
    "onboarding/acceptance/clock_texts.py",
    "onboarding/health/explain.py",
    "onboarding/health/reads.py",
    "onboarding/risk/reasons.py",
    "onboarding/webhooks/guard_texts.py",
    "onboarding/journey/views.py",
)

MESSAGE_FUNCTIONS = {"success", "error", "warning", "info", "debug"}
RAISED_WITH_MESSAGE = {
    "ValidationError",
    "Http404",
    "DomainError",
    "NotFound",
    "Conflict",
    "Forbidden",
    "PermissionDenied",
}


def _literal(node: ast.expr) -> bool:
    """A message written out here in English: a literal, an f-string, a literal's .format()."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _literal(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _literal(node.func.value)
    return False


def _message_argument(call: ast.Call) -> ast.expr | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    owner = getattr(func.value, "id", None) if isinstance(func, ast.Attribute) else None
    if owner == "messages" and name in MESSAGE_FUNCTIONS:
        message = call.args[1] if len(call.args) > 1 else None
    elif owner == "messages" and name == "add_message":
        message = call.args[2] if len(call.args) > 2 else None
    elif name in RAISED_WITH_MESSAGE:
        message = call.args[0] if call.args else None
    else:
        return None
    keyword = next((k.value for k in call.keywords if k.arg in ("message", "msg")), None)
    return message if message is not None else keyword


def unmarked_in_python(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            message = _message_argument(node)
            if message is not None and _literal(message):
                found.append((message.lineno, ast.unparse(message)))
    return found


def unmarked_python_strings(modules: tuple[str, ...] = TRANSLATED_MODULES) -> list[Unmarked]:
    root = Path(settings.BASE_DIR)
    problems = []
    for module in modules:
        path = root / module
        if not path.is_file():
            problems.append(Unmarked(module, 0, "(listed in TRANSLATED_MODULES, not found)"))
            continue
        for line, text in unmarked_in_python(path.read_text(encoding="utf-8")):
            problems.append(Unmarked(module, line, text))
    return problems
