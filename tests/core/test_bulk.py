"""The plain-SQL batch writers raise what the ORM would raise: callers catch Django's
IntegrityError for a duplicate key (payments' batch falls back to one charge at a time on it)."""

import pytest
from django.db import IntegrityError, transaction

from onboarding.core.bulk import instances_insert, rows_update
from onboarding.payments.models import SandboxCharge

pytestmark = pytest.mark.django_db


def charge(key: str) -> SandboxCharge:
    return SandboxCharge(
        charge_id=f"ch_{key}",
        idempotency_key=key,
        token="tok_test",
        amount_minor=100,
        currency="EUR",
        status="succeeded",
        code="",
    )


def test_instances_insert_sets_keys_and_fills_auto_now_add():
    first, second = charge("a"), charge("b")
    instances_insert([first, second])
    assert first.pk and second.pk and first.pk != second.pk
    assert SandboxCharge.objects.get(pk=first.pk).created_at is not None


def test_a_duplicate_key_on_insert_is_djangos_integrity_error():
    instances_insert([charge("a")])
    with pytest.raises(IntegrityError), transaction.atomic():
        instances_insert([charge("a")])
    assert SandboxCharge.objects.count() == 1


def test_a_duplicate_key_on_update_is_djangos_integrity_error():
    first, second = charge("a"), charge("b")
    instances_insert([first, second])
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_update(SandboxCharge, ["charge_id"], [("ch_a", second.pk)])
    assert SandboxCharge.objects.get(pk=second.pk).charge_id == "ch_b"
