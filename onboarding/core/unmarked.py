"""Find text in templates that a reader sees but that is not marked for translation.

`manage.py check_unmarked_strings` (run by `make lint`) reads every template listed in
TRANSLATED_TEMPLATES and names, by file and line, each piece of visible text outside
{% translate %} / {% blocktranslate %}: an HTML text node with a letter in it, and the values of
the attributes a reader sees or hears (title, placeholder, aria-label, alt). Template tags,
variables and comments are not text; neither is the inside of <script> and <style>. A plain-text
template (.txt, an email's text part) has no markup: every letter outside a tag is text.

The list is the one place that says which templates are translated: a slice that translates more
pages adds its directories or files here (paths from the project's root; a directory covers the
.html and .txt files under it).
"""

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType

TRANSLATED_TEMPLATES: tuple[str, ...] = (
    # The layout and the pages of the first translation slice (docs/i18n.md).
    "templates/base.html",
    "templates/account/login.html",
    "templates/account/signup.html",
    "templates/account/email",
    "onboarding/core/templates/core/home.html",
    "onboarding/catalog/templates/catalog/pricing.html",
    "onboarding/catalog/templates/catalog/_plans.html",
    "onboarding/notifications/templates/notifications/inbox.html",
    "onboarding/notifications/templates/notifications/inbox_detail.html",
    "onboarding/notifications/templates/notifications/_inbox_row.html",
    "onboarding/notifications/templates/notifications/_unread_count.html",
    "onboarding/notifications/templates/notifications/_signature.html",
    "onboarding/notifications/templates/notifications/_signature.txt",
    "onboarding/notifications/templates/notifications/generic.html",
    "onboarding/notifications/templates/notifications/generic.txt",
    "onboarding/portal/templates/portal/account_home.html",
    "onboarding/portal/templates/portal/_journey.html",
    "onboarding/portal/templates/portal/profile_form.html",
    # Customer emails.
    "onboarding/accounts/templates/accounts/email",
    "onboarding/billing/templates/billing/email",
    "onboarding/contracts/templates/contracts/email",
    "onboarding/payments/templates/payments/email",
    # The customer's billing, card, contract, request and contact pages; errors; form summary.
    "onboarding/billing/templates/billing/buy.html",
    "onboarding/billing/templates/billing/invoice_confirm.html",
    "onboarding/billing/templates/billing/_purchase_banner.html",
    "onboarding/billing/templates/billing/invoices.html",
    "onboarding/billing/templates/billing/invoice_detail.html",
    "onboarding/billing/templates/billing/_invoice.html",
    "onboarding/billing/templates/billing/_tax_summary.html",
    "onboarding/billing/templates/billing/_pagination.html",
    "onboarding/billing/templates/billing/_document_status.html",
    "onboarding/billing/templates/billing/document_pending.html",
    "onboarding/billing/templates/billing/plan_change.html",
    "onboarding/payments/templates/payments/card_form.html",
    "onboarding/payments/templates/payments/card_confirm.html",
    "onboarding/payments/templates/payments/card_stripe.html",
    "onboarding/contracts/templates/contracts/list.html",
    "onboarding/contracts/templates/contracts/detail.html",
    "onboarding/contracts/templates/contracts/manage.html",
    "onboarding/contracts/templates/contracts/certificate_pending.html",
    "onboarding/contracts/templates/contracts/_certificate_status.html",
    "onboarding/portal/templates/portal/contacts.html",
    "onboarding/portal/templates/portal/_contacts.html",
    "onboarding/portal/templates/portal/contact_form.html",
    "onboarding/core/templates/core/error.html",
    "onboarding/core/templates/core/_document_status.html",
    "onboarding/core/templates/core/document_pending.html",
    "templates/403.html",
    "templates/404.html",
    "templates/includes/error_summary.html",
    "onboarding/sysops/templates/sysops/my_requests.html",
    "onboarding/sysops/templates/sysops/my_request_form.html",
    "onboarding/sysops/templates/sysops/my_request_detail.html",
    "onboarding/sysops/templates/sysops/portal_unknown.html",
    "onboarding/sysops/templates/sysops/email/request_update.html",
    "onboarding/sysops/templates/sysops/email/request_update.txt",
    # The entrance: allauth's pages and elements as the project lays them out, the email
    # confirmation pages, the two-factor pages and mail, the shared form pieces, the 500 page.
    "templates/account/email_confirm.html",
    "templates/account/verification_sent.html",
    "templates/account/base_reauthenticate.html",
    "templates/account/_after_confirmation_url.html",
    "templates/account/_after_confirmation_label.html",
    "templates/account/password_reset.html",
    "templates/account/password_reset_done.html",
    "templates/allauth",
    "templates/mfa",
    "templates/includes/code_field.html",
    "templates/includes/form_fields.html",
    "templates/includes/messages.html",
    "templates/500.html",
    # The documents: invoice, credit note, contract and certificate PDFs.
    "onboarding/billing/templates/billing/pdf",
    "onboarding/contracts/templates/contracts/pdf",
    # The staff console (German): alerts, audit log, mail and outbox, webhooks, test clocks, worker.
    "onboarding/alerts/templates/alerts",
    "onboarding/audit/templates/audit",
    "onboarding/notifications/templates/notifications/mail_list.html",
    "onboarding/notifications/templates/notifications/mail_detail.html",
    "onboarding/notifications/templates/notifications/outbox_list.html",
    "onboarding/notifications/templates/notifications/outbox_detail.html",
    "onboarding/notifications/templates/notifications/_outbox_rows.html",
    "onboarding/notifications/templates/notifications/_outbox_counts.html",
    "onboarding/webhooks/templates/webhooks",
    "onboarding/testclocks/templates/testclocks",
    "onboarding/worker/templates/worker",
    # The staff console (German): the staff home, acceptance, health, risk and the funnel, with
    # the acceptance mail to staff.
    "onboarding/core/templates/core/staff_home.html",
    "onboarding/core/templates/core/_staff_tiles.html",
    "onboarding/core/templates/core/_staff_count.html",
    "templates/includes/staff_nav_count.html",
    "templates/includes/staff_nav_counts.html",
    "onboarding/acceptance/templates/acceptance",
    "onboarding/health/templates/health",
    "onboarding/risk/templates/risk",
    "onboarding/journey/templates/journey/funnel.html",
    # The staff console (German)
    "onboarding/sysops/templates/sysops/customer_overview.html",
    "onboarding/sysops/templates/sysops/customer_search.html",
    "onboarding/sysops/templates/sysops/customer_unknown.html",
    "onboarding/sysops/templates/sysops/_overview_body.html",
    "onboarding/sysops/templates/sysops/_overview_history.html",
    "onboarding/sysops/templates/sysops/_search_results.html",
    "onboarding/sysops/templates/sysops/_sla_clocks.html",
    "onboarding/sysops/templates/sysops/_sla_summary.html",
    "onboarding/sysops/templates/sysops/_updates.html",
    "onboarding/sysops/templates/sysops/request_queue.html",
    "onboarding/sysops/templates/sysops/staff_request_detail.html",
    "onboarding/sysops/templates/sysops/service_credit.html",
    "onboarding/sysops/templates/sysops/service_credits.html",
    "onboarding/sysops/templates/sysops/sla_breach_report.html",
    "onboarding/sysops/templates/sysops/email/request_sla.html",
    "onboarding/sysops/templates/sysops/email/request_sla.txt",
    "onboarding/sysops/templates/sysops/email/service_credit.html",
    "onboarding/sysops/templates/sysops/email/service_credit.txt",
    "onboarding/contracts/templates/contracts/staff",
    "onboarding/contracts/templates/contracts/email/expiry_reminder_sysops.txt",
    "onboarding/billing/templates/billing/staff",
    "onboarding/billing/templates/billing/email/dunning_decision.txt",
)

# Staff mail that lives beside the customer emails: English until the staff console is translated.
NOT_CUSTOMER_FACING: tuple[str, ...] = ()
# Words that are the same in every language: the brand, the time zone's name.
SAME_IN_EVERY_LANGUAGE = {"Onboarding", "UTC", "PDF"}
# A link written out in a text email (a path, or an address with its scheme) is not prose.
# (A link may start with a variable: `{{ site }}/account/`.)
LINK = re.compile(r"^\ue000*(/|https?://|mailto:)\S*$")

SEEN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
TEMPLATE_SUFFIXES = {".html", ".txt"}
# What a template tag or variable leaves in the text: no letter, and the line count kept.
HOLE = "\ue000"
LETTER = re.compile(r"[^\W\d_]")
TRANSLATE_TAGS = {"translate", "trans"}
BLOCK_TAGS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans"}
SKIPPED_BLOCKS = {"comment": "endcomment", "verbatim": "endverbatim", **BLOCK_TAGS}


@dataclass(frozen=True)
class Unmarked:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: not marked for translation: {self.text!r}"


def _masked(source: str) -> str:
    """`source` with every tag, variable and comment (and what blocktranslate and comment
    enclose) replaced by HOLE plus the newlines it spanned, so line numbers stay right."""
    out = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        raw = _raw(token)
        if closing is not None:
            if token.token_type == TokenType.BLOCK and token.split_contents()[0] == closing:
                closing = None
            out.append(HOLE + "\n" * raw.count("\n"))
            continue
        if token.token_type == TokenType.TEXT:
            out.append(raw)
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.split_contents()[0] if token.contents else ""
            closing = SKIPPED_BLOCKS.get(name)
        out.append(HOLE + "\n" * raw.count("\n"))
    return "".join(out)


def _raw(token) -> str:
    if token.token_type == TokenType.TEXT:
        return token.contents
    # The lexer keeps the inside of a tag; its newlines are what counts for line numbers.
    return "{%" + token.contents + "%}"


def _visible(text: str) -> str | None:
    words = unescape(text).split()
    prose = [w for w in words if not LINK.match(w)]
    prose = [w for w in " ".join(prose).replace(HOLE, " ").split()]
    prose = [w for w in prose if w.strip(".,:;·()") not in SAME_IN_EVERY_LANGUAGE]
    shown = " ".join(" ".join(words).replace(HOLE, " ").split())
    return shown if any(LETTER.search(w) for w in prose) else None


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if name in SEEN_ATTRIBUTES and value and (text := _visible(value)):
                self.found.append((line, f"{name}={text}"))
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        text = _visible(data)
        if text:
            # The line of the first letter, not of the whitespace before it.
            start = self.getpos()[0] + data[: LETTER.search(unescape(data)).start()].count("\n")
            self.found.append((start, text))

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")


def unmarked_in(source: str, *, plain_text: bool = False) -> list[tuple[int, str]]:
    """(line, text) for each piece of visible, unmarked text in a template's source."""
    masked = _masked(source)
    if plain_text:
        return [
            (number, text)
            for number, line in enumerate(masked.splitlines(), start=1)
            if (text := _visible(line))
        ]
    finder = _Finder()
    finder.feed(masked)
    finder.close()
    return finder.found


def template_files(entries: tuple[str, ...] = TRANSLATED_TEMPLATES) -> list[Path]:
    root = Path(settings.BASE_DIR)
    skipped = {root / path for path in NOT_CUSTOMER_FACING}
    files: list[Path] = []
    for entry in entries:
        path = root / entry
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in TEMPLATE_SUFFIXES)
        else:
            files.append(path)
    return [path for path in files if path not in skipped]


def unmarked_strings(entries: tuple[str, ...] = TRANSLATED_TEMPLATES) -> list[Unmarked]:
    """Every unmarked string in the listed templates; a listed path that is missing is one too."""
    root = Path(settings.BASE_DIR)
    problems = []
    for path in template_files(entries):
        shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        if not path.is_file():
            problems.append(Unmarked(shown, 0, "(listed in TRANSLATED_TEMPLATES, not found)"))
            continue
        source = path.read_text(encoding="utf-8")
        for line, text in unmarked_in(source, plain_text=path.suffix == ".txt"):
            problems.append(Unmarked(shown, line, text))
    return problems
