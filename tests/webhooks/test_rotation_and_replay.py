"""Secret rotation with an overlap, resending one delivery, replaying a period."""

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from onboarding.audit.models import AuditEntry
from onboarding.core.errors import DomainError
from onboarding.webhooks.delivery import webhooks_deliver_due
from onboarding.webhooks.dispatch import replays_advance
from onboarding.webhooks.models import DeliveryKind, ReplayState, WebhookDelivery, WebhookReplay
from onboarding.webhooks.services import delivery_resend, endpoint_secret_rotate, replay_request
from onboarding.webhooks.signing import SECRET_PREFIX, secret_generate, signature
from tests.webhooks.helpers import backdate, record, register, seal_and_dispatch

pytestmark = pytest.mark.django_db


def test_a_secret_is_whsec_and_32_random_bytes_and_signs_as_the_library_verifies():
    secret = secret_generate()
    assert secret.startswith(SECRET_PREFIX) and len(secret) == len(SECRET_PREFIX) + 44
    assert secret != secret_generate()
    body = '{"type":"invoice.paid"}'
    stamp = int(timezone.now().timestamp())
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature(
            secret=secret, webhook_id="evt_1", timestamp=stamp, body=body
        ),
    }
    assert Webhook(secret).verify(body, headers) == {"type": "invoice.paid"}


def test_after_rotation_both_secrets_verify_during_the_overlap_and_only_the_new_one_after(
    admin, receiver
):
    endpoint = register(admin, receiver)
    old_secret = receiver.secrets[0]
    now = timezone.now()
    rotated = endpoint_secret_rotate(
        actor=admin, endpoint_id=endpoint.pk, overlap_seconds=3600, now=now
    )
    new_secret = rotated.secret
    receiver.secrets.append(new_secret)
    assert new_secret != old_secret

    record("invoice.paid")
    seal_and_dispatch()
    webhooks_deliver_due()
    (during,) = receiver.wait_for(1)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert set(during.verified_by) == {old_secret, new_secret}

    endpoint.refresh_from_db()
    assert endpoint.signing_secrets(now=now + timedelta(seconds=3601)) == [new_secret]
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    record("invoice.voided")
    seal_and_dispatch()
    webhooks_deliver_due()
    after = receiver.wait_for(2)[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert after.verified_by == [new_secret]
    rotation = AuditEntry.objects.get(action="webhook_endpoint.secret_rotated")
    assert old_secret not in str(rotation.changes) and new_secret not in str(rotation.changes)


def test_resend_sends_the_same_event_again_with_the_same_id(admin, receiver):
    endpoint = register(admin, receiver)
    record("invoice.paid")
    seal_and_dispatch()
    webhooks_deliver_due()
    original = WebhookDelivery.objects.get()

    again = delivery_resend(actor=admin, endpoint_id=endpoint.pk, delivery_id=original.pk)
    webhooks_deliver_due()

    first, second = receiver.wait_for(2)
    assert again.kind == DeliveryKind.RESEND
    assert first.webhook_id == second.webhook_id and first.body == second.body
    assert second.verified_by
    assert AuditEntry.objects.filter(action="webhook_delivery.resent").count() == 1


def test_replay_of_a_period_sends_its_events_in_order_a_batch_per_tick(admin, receiver, settings):
    settings.WEBHOOKS_REPLAY_BATCH = 2
    before = record("invoice.issued", number="INV-0")  # before the endpoint: never sent live
    endpoint = register(admin, receiver, event_types=["invoice.issued"])
    in_period = [
        record("invoice.issued", customer_id=n % 2, number=f"INV-{n}") for n in range(1, 6)
    ]
    backdate(before, timezone.now() - timedelta(days=400))
    seal_and_dispatch()
    webhooks_deliver_due()
    assert len(receiver.wait_for(5)) == 5
    receiver.received.clear()

    replay = replay_request(
        actor=admin,
        endpoint_id=endpoint.pk,
        starts_at=timezone.now() - timedelta(days=500),
        ends_at=timezone.now() + timedelta(minutes=1),
    )
    ticks = 0
    while WebhookReplay.objects.get(pk=replay.pk).state == ReplayState.RUNNING:
        ticks += 1
        assert replays_advance() <= 2  # throttled: one batch per tick
        webhooks_deliver_due()

    assert ticks == 4  # three full batches, then one that finds the period read
    got = receiver.wait_for(6)
    wanted = [before, *in_period]
    assert [r.webhook_id for r in got] == [f"evt_{e.pk}" for e in wanted]
    assert all(r.verified_by for r in got)
    replay.refresh_from_db()
    assert replay.queued == 6
    assert WebhookDelivery.objects.filter(kind=DeliveryKind.REPLAY).count() == 6


def test_a_period_must_end_after_it_starts(admin, receiver):
    endpoint = register(admin, receiver)
    now = timezone.now()
    with pytest.raises(DomainError) as refused:
        replay_request(actor=admin, endpoint_id=endpoint.pk, starts_at=now, ends_at=now)
    assert refused.value.field == "ends_at"
