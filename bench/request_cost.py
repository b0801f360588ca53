"""What one request costs in-process: CPU ms and queries per path, anonymous and signed in.

    .venv/bin/python bench/request_cost.py                         # SQLite, default paths
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onb_cost \\
        REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/request_cost.py
    .venv/bin/python bench/request_cost.py --requests 1000 / /pricing/ /account/
    .venv/bin/python bench/request_cost.py --profile /pricing/     # cProfile of one path
    .venv/bin/python bench/request_cost.py --who staff --customers 50 \\
        /staff/customers/?q=Customer /staff/customers/107/          # staff pages with data

Runs the whole WSGI stack through Django's test client (no network, no server), with settings as
production reads them: ONBOARDING_ENV=production, DEBUG off, hashed static names (collectstatic
runs once into var/bench/request_cost/), SESSION/CSRF cookies Secure (the client speaks https).
The database is a throwaway test database (test_<name> on PostgreSQL, a file on SQLite), migrated
and seeded with a small catalogue and one signed-in customer; it is dropped at the end.

CPU time is time.process_time() over --requests requests after a warm-up, so it resists the noise
of other processes on the machine better than wall time; queries are counted on one more request.
Prints one line per path and who: CPU ms per request, queries per request, status.
"""

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_VAR = ROOT / "var" / "bench" / "request_cost"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ONBOARDING_ENV", "production")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "request-cost-bench-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("VAR_DIR", str(BENCH_VAR))
os.environ.setdefault("LOG_LEVEL", "INFO")  # the access log stays on: it is part of the cost

DEFAULT_PATHS = ["/healthz", "/", "/pricing/", "/pricing/?cycle=monthly", "/account/"]
WARM_UP = 30
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def _setup() -> None:
    import django

    django.setup()
    import logging

    from django.conf import settings

    # A shared Redis (REDIS_URL) may hold other processes' keys: this run keeps to its own.
    settings.CACHES["default"]["KEY_PREFIX"] = f"request-cost-{os.getpid()}"

    # The access log is formatted and written as in production, to a sink instead of stderr.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives for the process)


def _collect_static() -> None:
    from django.conf import settings
    from django.core.management import call_command

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def _seed():
    """A catalogue like the demo's (2 products, 3 plans, 3 cycles each) and one customer."""
    from allauth.account.models import EmailAddress

    from onboarding.accounts.models import User
    from onboarding.accounts.services import customer_create
    from onboarding.catalog.models import BillingCycle, Plan, PlanPrice, Product, Tier

    helpdesk = Product.objects.create(
        name="Helpdesk Suite", slug="helpdesk-suite", released_on=dt.date(2019, 3, 4)
    )
    gateway = Product.objects.create(
        name="Edge Gateway", slug="edge-gateway", released_on=dt.date(2022, 6, 20)
    )
    rows = [
        (helpdesk, "helpdesk-essential", "Essential", Tier.ESSENTIAL, (4900, 13900, 49000)),
        (helpdesk, "helpdesk-business", "Business", Tier.BUSINESS, (9900, 27900, 99000)),
        (gateway, "gateway-enterprise", "Enterprise", Tier.ENTERPRISE, (24900, 69900, 249000)),
    ]
    for order, (product, slug, name, tier, prices) in enumerate(rows):
        plan = Plan.objects.create(
            product=product,
            slug=slug,
            name=name,
            tier=tier,
            summary=f"{name} support for {product.name}",
            includes="Email support\nSoftware updates\nKnowledge base",
            response_time_hours=8,
            sort_order=order,
        )
        for cycle, amount in zip(BillingCycle.values, prices, strict=True):
            PlanPrice.objects.create(plan=plan, cycle=cycle, amount_minor=amount)
    user = User.objects.create_user("bench.customer@example.com", "bench-password-2026-x")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    customer_create(user=user)
    return user


def _seed_staff():
    """A member of staff (sysops) with an authenticator app, as the staff area requires."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from onboarding.accounts.models import User
    from onboarding.core.roles import Role

    staff = User.objects.create_user(
        "bench.staff@example.com", "bench-password-2026-x", role=Role.SYSOPS
    )
    TOTP.activate(staff, generate_totp_secret())
    return staff


def _seed_customers(count: int, first: int = 101) -> None:
    """`count` customers (ids first..) surnamed "Customer", each with the history
    bench/customer_view_seed.py gives one (card, subscription, invoices and payments, a contract
    with its acceptance, requests, notifications, audit), written through the ORM so SQLite works
    too: the staff search for "Customer" and the full customer view then have rows to show."""
    from bench import customer_view_seed as rows
    from onboarding.audit.models import AuditEntry

    if count <= 0:
        return
    ids = range(first, first + count)
    offsets, next_request = {}, first * 4  # request ids above any the one-customer seed made
    for i in ids:
        offsets[i] = next_request
        next_request += rows.requests_for(i)
    names, plans = rows.Names(), rows.catalog()
    audit_first = (AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    people = ({**row, "last_name": "Customer"} for row in rows.users(ids, names))
    tables = (
        (rows.User, people),
        (rows.Customer, rows.customers(ids, names)),
        (rows.JourneyStep, rows.journey_steps(ids)),
        (rows.PaymentMethod, rows.cards(ids)),
        (rows.Subscription, rows.subscriptions(ids, plans)),
        (rows.Invoice, rows.invoices(ids, 3)),
        (rows.PaymentAttempt, rows.payments(ids, 3)),
        (rows.Contract, rows.contracts(ids, plans)),
        (rows.Requirement, rows.requirements(ids)),
        (rows.Review, rows.reviews(ids)),
        (rows.RiskEvent, rows.risk_events(ids)),
        (rows.ServiceRequest, rows.service_requests(ids, offsets)),
        (rows.ServiceRequestUpdate, rows.service_request_updates(ids, offsets)),
        (rows.Notification, rows.notifications(ids, 2)),
        (rows.OutboxMessage, rows.deliveries(ids, 2)),
        (rows.AuditEntry, rows.audit_entries(ids, audit_first)),
    )
    for model, made in tables:
        model.objects.bulk_create([model(**row) for row in made])
    rows._reset_sequences([model for model, _ in tables])


def bare_ok(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


urlpatterns: list = []


def _bare_floor(requests: int, repeat: int) -> None:
    """Bare Django, as the issue's floor: SecurityMiddleware, CommonMiddleware, one view."""
    import django
    from django.conf import settings
    from django.test import Client
    from django.urls import path

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bare-floor-" + "x" * 40,
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
        ],
        INSTALLED_APPS=[],
        DATABASES={},
    )
    django.setup()
    urlpatterns.append(path("", bare_ok))
    cpu_ms, _queries, status = _measure(Client(), "/", requests, repeat)
    print(f"bare Django / (status {status}): {cpu_ms:.3f} ms CPU per request")


def _bare_floor_in_child(requests: int, repeat: int) -> float:
    """The floor measured in a fresh process (settings cannot be configured twice in one)."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--bare",
            "--requests",
            str(max(requests, 2000)),
            "--repeat",
            str(repeat),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.split(": ")[1].split()[0])


def _measure(client, path: str, requests: int, repeat: int = 1) -> tuple[float, int, int]:
    """CPU ms per request (the lowest of `repeat` rounds: other processes only ever add to
    it), queries per request, and the last status."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        client.get(path)
    rounds = []
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(requests):
            response = client.get(path)
        rounds.append((time.process_time() - started) * 1000 / requests)
    cpu_ms = min(rounds)
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("dummy"):
        return cpu_ms, 0, response.status_code
    with CaptureQueriesContext(connections["default"]) as queries:
        client.get(path)
    return cpu_ms, len(queries), response.status_code


def _swapped_client(swap: str, user=None):
    """A client whose handler runs MIDDLEWARE with OLD replaced by NEW ("OLD=NEW")."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    old, new = swap.split("=", 1)
    if old not in settings.MIDDLEWARE:
        raise SystemExit(f"--swap: {old} is not in MIDDLEWARE")
    client = Client(secure=True, headers=PROXY_HEADERS)
    if user is not None:
        client.force_login(user)
    with override_settings(MIDDLEWARE=[new if m == old else m for m in settings.MIDDLEWARE]):
        client.get("/healthz")  # the handler builds its middleware chain on its first request
    return client


def _measure_ab(a, b, path: str, requests: int, repeat: int) -> tuple[float, float]:
    """CPU ms per request of two clients, their rounds alternating in one process, so load from
    other processes falls on both alike; the lowest round of each counts."""
    for _ in range(WARM_UP):
        a.get(path)
        b.get(path)
    rounds: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(repeat):
        for side, client in enumerate((a, b)):
            started = time.process_time()
            for _ in range(requests):
                client.get(path)
            rounds[side].append((time.process_time() - started) * 1000 / requests)
    return min(rounds[0]), min(rounds[1])


def _profile(client, path: str, requests: int) -> None:
    for _ in range(WARM_UP):
        client.get(path)
    # CPU time, not wall time: waits on the database server and on other processes stay out.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(45)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--requests", type=int, default=500, help="measured requests per path")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds per row; the lowest CPU figure counts"
    )
    parser.add_argument(
        "--who",
        choices=["anonymous", "customer", "staff", "both"],
        default="both",
        help="both: anonymous and customer; staff: a sysops member with TOTP (staff pages)",
    )
    parser.add_argument("--profile", metavar="PATH", help="print a cProfile of PATH instead")
    parser.add_argument(
        "--swap",
        metavar="OLD=NEW",
        help="compare MIDDLEWARE as set with OLD replaced by NEW, rounds alternating",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=0,
        metavar="N",
        help='also seed N customers surnamed "Customer" (ids 101..) with a full history',
    )
    parser.add_argument(
        "--bare", action="store_true", help="measure bare Django's floor instead (see _bare_floor)"
    )
    args = parser.parse_args()

    if args.bare:
        _bare_floor(args.requests, args.repeat)
        return
    _setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    _collect_static()
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = _seed()
        _seed_customers(args.customers)
        # As behind the TLS-ending proxy: https by X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
        anonymous = Client(secure=True, headers=PROXY_HEADERS)
        customer = Client(secure=True, headers=PROXY_HEADERS)
        customer.force_login(user)
        clients = {"anonymous": anonymous, "customer": customer}
        if args.who == "staff":
            staff = Client(secure=True, headers=PROXY_HEADERS)
            staff_user = _seed_staff()
            staff.force_login(staff_user)
            clients["staff"] = staff
        if args.who != "both":
            clients = {args.who: clients[args.who]}
        if args.swap:
            users = {"anonymous": None, "customer": user}
            if "staff" in clients:
                users["staff"] = staff_user
            print(f"# --swap {args.swap}: lowest of {args.repeat} alternating rounds")
            print(f"{'path':28} {'who':10} {'as set':>7} {'swapped':>7}")
            for path in args.paths:
                for who, client in clients.items():
                    swapped = _swapped_client(args.swap, users[who])
                    a, b = _measure_ab(client, swapped, path, args.requests, args.repeat)
                    print(f"{path:28} {who:10} {a:7.3f} {b:7.3f}")
            return
        if args.profile:
            for who, client in clients.items():
                print(f"== {who} {args.profile}")
                _profile(client, args.profile, args.requests)
            return
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        print(
            f"# {engine}, cache {cache}, CPU ms per request: the lowest of {args.repeat} rounds"
            f" of {args.requests} requests"
        )
        floor = _bare_floor_in_child(args.requests, args.repeat)
        print(f"# bare Django floor (same client, own process): {floor:.2f} ms")
        print(f"{'path':28} {'who':10} {'cpu_ms':>7} {'queries':>7} {'status':>6} {'x_bare':>6}")
        for path in args.paths:
            for who, client in clients.items():
                cpu_ms, queries, status = _measure(client, path, args.requests, args.repeat)
                ratio = cpu_ms / floor
                print(f"{path:28} {who:10} {cpu_ms:7.2f} {queries:7d} {status:6d} {ratio:6.1f}")
    finally:
        connection.creation.destroy_test_db(test_name, verbosity=0)


if __name__ == "__main__":
    main()
