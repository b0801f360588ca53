"""Demo data for `make run`: a catalog, one login per role, and customers standing at each step
of the onboarding journey, so a person can try every side of the product.

Idempotent: running it again finds the same rows and changes nothing. Refused in production.
Customers are made through the product's own services, so their audit trail, journey and
notifications are what a real customer's would be.
"""

import contextlib
import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.acceptance.models import RequirementTemplate
from onboarding.accounts.models import PreferredInbox, User
from onboarding.accounts.services import customer_create, customer_profile_update
from onboarding.billing.services import subscription_purchase
from onboarding.catalog.models import BillingCycle, Plan, PlanPrice, Product, Tier
from onboarding.core.errors import DomainError
from onboarding.core.roles import Role
from onboarding.health.follow import health_recompute_all
from onboarding.notifications.services import notification_send
from onboarding.payments.gateways.base import CardDetails
from onboarding.payments.methods import payment_method_add
from onboarding.sla.seed import sla_seed

DEMO_PASSWORD = "onboarding-demo-2026"  # noqa: S105 (printed for people trying the demo)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    totp_secret: str | None
    note: str = ""


DEMO_STAFF = [
    ("admin@demo.test", Role.ADMIN, "Ada", "Admin", PreferredInbox.EMAIL),
    ("sysops@demo.test", Role.SYSOPS, "Sam", "Sysops", PreferredInbox.IN_APP),
    ("manager@demo.test", Role.MANAGER, "Maya", "Manager", PreferredInbox.EMAIL),
]

# email, name, company, inbox, how far through the journey they are
DEMO_CUSTOMERS = [
    (
        "customer@demo.test",
        ("Carla", "Customer"),
        "Carla's Clinics",
        PreferredInbox.EMAIL,
        "bought",
    ),
    ("inapp.customer@demo.test", ("Ivan", "Inbox"), "Ivan & Co", PreferredInbox.IN_APP, "profile"),
    ("new.customer@demo.test", ("Nora", "New"), "", PreferredInbox.EMAIL, "signed_up"),
    ("declined@demo.test", ("Dan", "Declined"), "Dan's Diner", PreferredInbox.EMAIL, "declined"),
    # A customer in Berlin who reads German: pages, mail, invoices and contract in German, in euros.
    ("kunde@demo.test", ("Klara", "Kunde"), "Kunde Technik GmbH", PreferredInbox.IN_APP, "bought"),
]
# Where a demo customer lives, what they pay in and read (the others: Bristol, pounds, English).
DEMO_HOMES = {
    "kunde@demo.test": {
        "address": {
            "address_line1": "Unter den Linden 1",
            "city": "Berlin",
            "postal_code": "10117",
            "country": "DE",
        },
        "currency": "EUR",
        "language": "de",
    },
}
BRISTOL = {
    "address": {
        "address_line1": "12 Harbour Street",
        "city": "Bristol",
        "postal_code": "BS1 4DJ",
        "country": "GB",
    },
    "currency": "GBP",  # a customer in Bristol pays in pounds
    "language": "en",
}

PRODUCTS = [
    ("Helpdesk Suite", "helpdesk-suite", "Ticketing and live chat.", dt.date(2019, 3, 4)),
    ("Edge Gateway", "edge-gateway", "The on-site network appliance.", dt.date(2022, 6, 20)),
]
PLANS = [
    # product slug, plan slug, name, tier, response hours,
    # {currency: (monthly, quarterly, annual) net, in minor units}: each currency priced on its own
    (
        "helpdesk-suite",
        "helpdesk-essential",
        "Essential",
        Tier.ESSENTIAL,
        24,
        {"EUR": (4900, 13900, 49000), "USD": (5500, 15500, 55000), "GBP": (4200, 11900, 42000)},
    ),
    (
        "helpdesk-suite",
        "helpdesk-business",
        "Business",
        Tier.BUSINESS,
        8,
        {"EUR": (9900, 27900, 99000), "USD": (10900, 30900, 109000), "GBP": (8500, 23900, 85000)},
    ),
    (
        "edge-gateway",
        "gateway-enterprise",
        "Enterprise",
        Tier.ENTERPRISE,
        2,
        {
            "EUR": (24900, 69900, 249000),
            "USD": (27500, 77500, 275000),
            "GBP": (21500, 59900, 215000),
        },
    ),
]
INCLUDES = {
    Tier.ESSENTIAL: "Email support on working days\nSoftware updates\nKnowledge base",
    Tier.BUSINESS: "Email and phone support\nRemote troubleshooting\nQuarterly health check",
    Tier.ENTERPRISE: "24/7 phone support\nOn-site repair\nNamed engineer\nMonitoring agent",
}

# The catalogue's prose in German and French (catalog/translations.py); names stay as they are.
PRODUCT_TRANSLATIONS = {
    "helpdesk-suite": {
        "de": {"description": "Ticketsystem und Live-Chat."},
        "fr": {"description": "Gestion des tickets et discussion en direct."},
    },
    "edge-gateway": {
        "de": {"description": "Die Netzwerk-Appliance bei Ihnen vor Ort."},
        "fr": {"description": "Le boîtier réseau installé dans vos locaux."},
    },
}
UNITS = {
    "de": {"unit_name": "Arbeitsplatz", "unit_name_plural": "Arbeitsplätze"},
    "fr": {"unit_name": "poste", "unit_name_plural": "postes"},
}
PLAN_TRANSLATIONS = {
    "helpdesk-essential": {
        "de": {
            "summary": "Grundlegende Betreuung für Helpdesk Suite",
            "includes": "Hilfe per E-Mail an Werktagen\nAktualisierungen der Software\n"
            "Wissensdatenbank",
        },
        "fr": {
            "summary": "Assistance essentielle pour Helpdesk Suite",
            "includes": "Assistance par e-mail les jours ouvrés\nMises à jour logicielles\n"
            "Base de connaissances",
        },
    },
    "helpdesk-business": {
        "de": {
            "summary": "Betreuung für Unternehmen für Helpdesk Suite",
            "includes": "Hilfe per E-Mail und Telefon\nFehlerbehebung aus der Ferne\n"
            "Vierteljährliche Systemprüfung",
        },
        "fr": {
            "summary": "Assistance entreprise pour Helpdesk Suite",
            "includes": "Assistance par e-mail et par téléphone\nDépannage à distance\n"
            "Bilan de santé trimestriel",
        },
    },
    "gateway-enterprise": {
        "de": {
            "summary": "Umfassende Betreuung für Edge Gateway",
            "includes": "Telefonische Hilfe rund um die Uhr\nReparatur vor Ort\n"
            "Fester technischer Ansprechpartner\nÜberwachungsagent",
        },
        "fr": {
            "summary": "Assistance grands comptes pour Edge Gateway",
            "includes": "Assistance téléphonique 24 h/24, 7 j/7\nRéparation sur site\n"
            "Ingénieur attitré\nAgent de supervision",
        },
    },
}


def _translations_of(slug: str, table: dict, units: bool = False) -> dict:
    texts = table.get(slug, {})
    return {lang: {**texts.get(lang, {}), **(UNITS[lang] if units else {})} for lang in UNITS}


def _catalog_load() -> None:
    products = {}
    for name, slug, description, released in PRODUCTS:
        products[slug], _ = Product.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "released_on": released,
                "translations": _translations_of(slug, PRODUCT_TRANSLATIONS),
            },
        )
        # A demo made before the catalogue was translated gets its translations once.
        if not products[slug].translations:
            products[slug].translations = _translations_of(slug, PRODUCT_TRANSLATIONS)
            products[slug].save(update_fields=["translations"])
    for order, (product, slug, name, tier, hours, prices) in enumerate(PLANS):
        plan, created = Plan.objects.get_or_create(
            slug=slug,
            defaults={
                "product": products[product],
                "name": name,
                "tier": tier,
                "summary": f"{Tier(tier).label} support for {products[product].name}",
                "includes": INCLUDES[tier],
                "response_time_hours": hours,
                "sort_order": order,
                "translations": _translations_of(slug, PLAN_TRANSLATIONS, units=True),
            },
        )
        if not plan.translations:
            plan.translations = _translations_of(slug, PLAN_TRANSLATIONS, units=True)
            plan.save(update_fields=["translations"])
        if created:
            PlanPrice.objects.bulk_create(
                PlanPrice(plan=plan, cycle=cycle, currency=currency, amount_minor=amount)
                for currency, amounts in prices.items()
                for cycle, amount in zip(BillingCycle.values, amounts, strict=True)
            )


# Standard requirements every demo plan's contracts start from (acceptance).
REQUIREMENT_TEMPLATES = [
    ("Remote access", "A SysOps engineer can reach the customer's systems over the agreed VPN."),
    ("Monitoring agent", "The monitoring agent is installed and reports to our console."),
    ("Escalation contacts", "The customer named a technical and a business escalation contact."),
]


def _requirement_templates_load() -> None:
    for plan in Plan.objects.all():
        for position, (title, criteria) in enumerate(REQUIREMENT_TEMPLATES):
            RequirementTemplate.objects.get_or_create(
                plan=plan, title=title, defaults={"criteria": criteria, "position": position}
            )


def _person(email: str, role: str, first: str, last: str, inbox: str) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"role": role, "first_name": first, "last_name": last, "preferred_inbox": inbox},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, created


def _totp_secret_of(user: User) -> str:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is not None:
        return decrypt(authenticator.data["secret"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _card(number: str) -> CardDetails:
    return CardDetails(number=number, exp_month=12, exp_year=timezone.now().year + 2, cvc="123")


# A few notices for the customer who reads the in-app inbox, so a person trying the demo sees a
# filled inbox: subject, body, a link to follow (path on the site), in the order they arrive.
# Written in each reader's language when the notice is queued (notification_send).
DEMO_INBOX_NOTICES = [
    (
        gettext_lazy("Welcome to Onboarding"),
        gettext_lazy(
            "This inbox keeps every notice we send you: purchases, invoices, contracts and "
            "replies to your requests. You chose to read them here rather than by email; your "
            "profile changes that."
        ),
        "/account/profile/",
        gettext_lazy("Your profile"),
    ),
    (
        gettext_lazy("Your profile is complete"),
        gettext_lazy(
            "Thank you. Next, put a card on file and choose a billing cycle; your support "
            "contract starts when the first invoice is paid."
        ),
        "/pricing/",
        gettext_lazy("See the plans"),
    ),
    (
        gettext_lazy("Planned maintenance on Saturday"),
        gettext_lazy(
            "The customer portal is read-only on Saturday from 06:00 to 07:00 UTC while we "
            "update it. Support requests by phone are answered as usual."
        ),
        "",
        "",
    ),
]


def _greeting(first_name: str) -> str:
    return gettext("Hello %(name)s,") % {"name": first_name} if first_name else gettext("Hello,")


def _inbox_notices_load(user: User) -> None:
    """Queue the demo notices through the notification service: the relay delivers them to the
    user's preferred inbox as it does every other notice. Dedupe keys keep a rerun a no-op."""
    for n, (subject, body, path, label) in enumerate(DEMO_INBOX_NOTICES):
        notification_send(
            recipient=user,
            kind="demo_notice",
            subject=subject,
            template="notifications/generic",
            context={
                "subject": subject,
                "greeting": lazy(_greeting, str)(user.first_name),
                "body": body,
                "action_url": f"{settings.SITE_URL}{path}" if path else "",
                "action_label": label,
            },
            dedupe_key=f"demo-notice:{user.pk}:{n}",
        )


def _customer_load(email, names, company, inbox, stage) -> DemoLogin:
    user, created = _person(email, Role.CUSTOMER, *names, inbox)
    home = DEMO_HOMES.get(email, BRISTOL)
    customer = customer_create(user=user, language=home["language"])
    if created and stage != "signed_up":
        customer = customer_profile_update(
            customer=customer, actor=user, profile={"company": company, **home["address"]}
        )
        if stage == "bought":
            payment_method_add(customer=customer, actor=user, card=_card("4242424242424242"))
            subscription_purchase(
                customer=customer,
                plan=Plan.objects.get(slug="helpdesk-business"),
                cycle=BillingCycle.ANNUAL,
                currency=home["currency"],
                actor=user,
            )
        elif stage == "declined":
            # The point: the journey shows a failed card step, and an admin has an alert.
            with contextlib.suppress(DomainError):
                payment_method_add(customer=customer, actor=user, card=_card("4000000000000002"))
    if inbox == PreferredInbox.IN_APP:
        _inbox_notices_load(user)
    return DemoLogin(
        email=email,
        role=Role.CUSTOMER,
        totp_secret=None,
        note=stage.replace("_", " ") + (", reads German" if home["language"] == "de" else ""),
    )


def demo_data_load() -> list[DemoLogin]:
    if settings.PRODUCTION:
        raise DomainError("Demo data is never loaded in production.")
    with transaction.atomic():
        _catalog_load()
        _requirement_templates_load()
        sla_seed()
        logins = []
        for email, role, first, last, inbox in DEMO_STAFF:
            user, _ = _person(email, role, first, last, inbox)
            logins.append(DemoLogin(email=email, role=role, totp_secret=_totp_secret_of(user)))
    # Customers one by one, outside one big transaction: the declined card's admin alert is
    # written after its own work rolled back, as in real use.
    logins += [_customer_load(*row) for row in DEMO_CUSTOMERS]
    # Every customer scored, so the pages show a health score from the start.
    health_recompute_all()
    return logins
