import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from onboarding.audit.services import audit_diff, model_snapshot
from tests.factories import UserFactory


def test_diff_lists_only_changed_fields():
    diff = audit_diff(before={"a": 1, "b": "x", "c": None}, after={"a": 1, "b": "y", "c": None})
    assert diff == {"b": ["x", "y"]}


def test_diff_of_identical_dicts_is_empty():
    assert audit_diff(before={"a": 1}, after={"a": 1}) == {}


def test_field_missing_on_one_side_counts_as_none():
    diff = audit_diff(before={"old": 1}, after={"new": 2})
    assert diff == {"old": [1, None], "new": [None, 2]}


def test_diff_values_are_json_safe():
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    diff = audit_diff(
        before={
            "due": date(2026, 1, 1),
            "at": datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
            "rate": Decimal("1.50"),
            "ref": None,
        },
        after={
            "due": date(2026, 2, 1),
            "at": datetime(2026, 1, 2, 9, 30, tzinfo=UTC),
            "rate": Decimal("2.00"),
            "ref": ident,
        },
    )
    assert diff == {
        "due": ["2026-01-01", "2026-02-01"],
        "at": ["2026-01-01T09:30:00+00:00", "2026-01-02T09:30:00+00:00"],
        "rate": ["1.50", "2.00"],
        "ref": [None, "12345678-1234-5678-1234-567812345678"],
    }


def test_numerically_equal_values_are_not_a_change():
    assert audit_diff(before={"n": 1}, after={"n": 1.0}) == {}


def test_model_snapshot_reads_named_fields_json_safe(db):
    user = UserFactory(email="ada@example.com", first_name="Ada")
    snapshot = model_snapshot(user, ["email", "first_name", "date_joined"])
    assert snapshot["email"] == "ada@example.com"
    assert snapshot["first_name"] == "Ada"
    assert snapshot["date_joined"] == user.date_joined.astimezone(UTC).isoformat()


def test_snapshots_before_and_after_make_a_diff(db):
    user = UserFactory(first_name="Ada", last_name="Byron")
    before = model_snapshot(user, ["first_name", "last_name"])
    user.last_name = "Lovelace"
    after = model_snapshot(user, ["first_name", "last_name"])
    assert audit_diff(before=before, after=after) == {"last_name": ["Byron", "Lovelace"]}
