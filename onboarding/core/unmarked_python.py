"""Find user-facing messages in Python that are not marked for translation.

An AST check over the project's modules (translated_modules()): a string literal (or
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

# Every module of the project is checked (issue 20), but for what is not said to a person in the
# site's languages: migrations, command-line tools (an operator's terminal is English) and
# these modules, each for its reason.
PYTHON_ROOTS: tuple[str, ...] = ("config", "onboarding")
SKIPPED_DIRECTORIES = {"migrations", "commands"}
NOT_TRANSLATED_MODULES: dict[str, str] = {
    "onboarding/demo/services.py": "the demo loader's refusal is printed by `manage.py demo`",
    "onboarding/payments/sandbox_faults.py": "armed from `manage.py sandbox_fault` and tests only",
}


def translated_modules() -> tuple[str, ...]:
    """The project's modules the check reads, as paths from the project's root."""
    root = Path(settings.BASE_DIR)
    found = []
    for top in PYTHON_ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root)
            if SKIPPED_DIRECTORIES.intersection(relative.parts):
                continue
            if relative.as_posix() not in NOT_TRANSLATED_MODULES:
                found.append(relative.as_posix())
    return tuple(found)


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
    elif name == "FailureNotice":  # (reason, message): the reason is a code, the message is told
        message = call.args[1] if len(call.args) > 1 else None
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


def unmarked_python_strings(modules: tuple[str, ...] | None = None) -> list[Unmarked]:
    root = Path(settings.BASE_DIR)
    if modules is None:
        modules = translated_modules()
    problems = []
    for module in modules:
        path = root / module
        if not path.is_file():
            problems.append(Unmarked(module, 0, "(listed, not found)"))
            continue
        for line, text in unmarked_in_python(path.read_text(encoding="utf-8")):
            problems.append(Unmarked(module, line, text))
    return problems
