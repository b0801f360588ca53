"""The SSRF guard, at registration and again at each send."""

import socket

import pytest

from onboarding.audit.models import AuditEntry
from onboarding.webhooks.delivery import webhooks_deliver_due
from onboarding.webhooks.guard import UnsafeURL, url_check
from onboarding.webhooks.models import WebhookDelivery, WebhookEndpoint
from onboarding.webhooks.services import endpoint_create
from tests.webhooks.helpers import record, register, seal_and_dispatch


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://10.0.0.1/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[::ffff:169.254.169.254]/", "link-local"),
        ("https://[fd00:ec2::254]/", "private"),
        ("https://224.0.0.1/", "multicast"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://100.64.0.1/", "not on the public internet"),
        ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ],
)
def test_internal_addresses_are_refused(url, why):
    with pytest.raises(UnsafeURL, match=why):
        url_check(url)


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/hook", "https://[::1]/hook", "https://localhost/"]
)
def test_loopback_is_refused_unless_the_setting_allows_it(settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURL, match="loopback"):
        url_check(url)
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert url_check(url).address in {"127.0.0.1", "::1"}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/", "https"),
        ("https://user:pass@example.com/", "user name or password"),
        ("https:///nohost", "no host"),
        ("https://example.com:99999/", "valid URL"),
        ("https://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_malformed_urls_are_refused(url, why):
    with pytest.raises(UnsafeURL, match=why):
        url_check(url)


def test_http_is_refused_unless_the_setting_allows_it(settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    with pytest.raises(UnsafeURL, match="https"):
        url_check("http://127.0.0.1/")


def test_a_public_address_passes_and_keeps_the_name_for_the_host_header():
    target = url_check("https://93.184.215.14:8443/in?x=1")
    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/in?x=1")
    assert target.host_header == "93.184.215.14:8443"


@pytest.mark.django_db
def test_registration_refuses_an_unsafe_url_with_a_field_error(admin, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURL) as refused:
        endpoint_create(actor=admin, url="https://localhost/hook")
    assert refused.value.field == "url"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_each_send_checks_again_so_a_name_that_moves_to_loopback_is_refused(
    admin, receiver, settings
):
    """DNS rebinding: registered while allowed, the name then resolves somewhere refused."""
    endpoint = register(admin, receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        url=f"http://localhost:{receiver.port}/hooks"
    )
    record("invoice.paid")
    seal_and_dispatch()
    settings.WEBHOOKS_ALLOW_LOOPBACK = False

    webhooks_deliver_due()

    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and "loopback" in delivery.last_error
    assert receiver.received == []
    assert socket.gethostbyname("localhost") == "127.0.0.1"  # the name itself did resolve
    assert not AuditEntry.objects.filter(action="webhook_endpoint.disabled").exists()


@pytest.mark.django_db
def test_redirects_are_not_followed(admin, receiver):
    register(admin, receiver)
    record("invoice.paid")
    seal_and_dispatch()
    receiver.answers = [302]

    webhooks_deliver_due()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.received) == 1
