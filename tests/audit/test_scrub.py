import pytest

from onboarding.audit.models import AuditEntry
from onboarding.audit.services import (
    REDACTED,
    REDACTED_CARD,
    audit_record,
    audit_scrub,
    is_sensitive_key,
    luhn_valid,
    scrub_text,
)

VISA_TEST = "4242424242424242"  # passes Luhn
NOT_LUHN = "4242424242424241"


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "Password1",
        "card",
        "card_number",
        "cardNumber",
        "cvc",
        "CVV",
        "token",
        "access_token",
        "secret",
        "totp_secret",
        "pan",
        "card_pan",
        "api_key",
        "Authorization",
    ],
)
def test_sensitive_keys_are_recognised(key):
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key", ["email", "company", "expand", "card_last4", "card_brand", "plan", "status", "amount"]
)
def test_ordinary_keys_are_kept(key):
    assert not is_sensitive_key(key)


def test_values_under_sensitive_keys_are_redacted_at_any_depth():
    scrubbed = audit_scrub(
        {
            "password": "hunter2-hunter2",
            "profile": {"name": "Ada", "payment": {"cvc": "123", "card_number": VISA_TEST}},
            "attempts": [{"token": "abc"}, {"status": "ok"}],
        }
    )
    assert scrubbed == {
        "password": REDACTED,
        "profile": {"name": "Ada", "payment": {"cvc": REDACTED, "card_number": REDACTED}},
        "attempts": [{"token": REDACTED}, {"status": "ok"}],
    }


def test_a_diff_pair_under_a_sensitive_key_is_redacted_whole():
    assert audit_scrub({"password": ["old-secret", "new-secret"]}) == {"password": REDACTED}


def test_card_number_under_an_innocent_key_is_redacted():
    assert audit_scrub({"note": f"paid with {VISA_TEST} today"}) == {
        "note": f"paid with {REDACTED_CARD} today"
    }


def test_card_number_grouped_with_spaces_or_dashes_is_redacted():
    assert scrub_text("4242 4242 4242 4242 and 4242-4242-4242-4242") == (
        f"{REDACTED_CARD} and {REDACTED_CARD}"
    )


def test_card_number_stored_as_an_integer_is_redacted():
    assert audit_scrub({"reference": int(VISA_TEST)}) == {"reference": REDACTED_CARD}


def test_sixteen_digits_failing_luhn_are_kept():
    assert not luhn_valid(NOT_LUHN)
    assert scrub_text(f"order {NOT_LUHN}") == f"order {NOT_LUHN}"


def test_short_and_overlong_digit_runs_are_kept():
    twelve = "424242424242"  # 12 digits: too short to be a card
    twenty = "42424242424242424242"
    assert scrub_text(f"{twelve} {twenty}") == f"{twelve} {twenty}"


def test_secret_assignments_in_free_text_are_redacted():
    text = scrub_text("login failed password=hunter2 token: 'abc def' for ada")
    assert "hunter2" not in text
    assert "abc def" not in text
    assert text == f"login failed password={REDACTED} token: {REDACTED} for ada"


def test_words_about_passwords_without_a_value_are_kept():
    assert scrub_text("password reset requested") == "password reset requested"


def test_nul_characters_are_dropped_from_text():
    assert scrub_text("a\x00b") == "ab"


def test_audit_record_stores_scrubbed_changes_and_message(db):
    entry = audit_record(
        action="payments.method_added",
        changes={"card_number": VISA_TEST, "cvc": "123", "card_last4": "4242"},
        message=f"card {VISA_TEST} added, cvc=123",
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.changes == {"card_number": REDACTED, "cvc": REDACTED, "card_last4": "4242"}
    assert VISA_TEST not in stored.message
    assert "123" not in stored.message


def test_digit_runs_inside_a_hex_digest_are_kept():
    # The digit run passes the Luhn check; a SHA-256 in an audit entry once lost its middle to it.
    digest = "a7bbb651b3068cb1372915ba2162936858063b24af8be1e50d2fa9fde25a6af8"
    assert luhn_valid("2162936858063")
    assert scrub_text(digest) == digest
    assert audit_scrub({"pdf_sha256": digest}) == {"pdf_sha256": digest}


def test_a_card_number_beside_a_hex_digest_is_still_redacted():
    digest = "a7bbb651b3068cb1372915ba2162936858063b24af8be1e50d2fa9fde25a6af8"
    text = scrub_text(f"{digest} paid with {VISA_TEST}; card{VISA_TEST}")
    assert text == f"{digest} paid with {REDACTED_CARD}; card{REDACTED_CARD}"


# audit_changes_safe: the changes column's scrub in one walk, equal to audit_scrub(json_safe()).


def test_changes_safe_equals_scrubbing_the_json_safe_form(db):
    from datetime import UTC, date, datetime, time, timedelta
    from decimal import Decimal

    from onboarding.audit.services import audit_changes_safe, json_safe
    from onboarding.payments.models import PaymentStatus
    from tests.factories import UserFactory

    user = UserFactory()
    changes = {
        "status": [PaymentStatus.PENDING, PaymentStatus.SUCCEEDED],
        "paid_at": [None, datetime(2030, 1, 15, 6, 0, 0, 123456, tzinfo=UTC)],
        "due_on": date(2030, 1, 15),
        "at": time(6, 30),
        "grace": timedelta(days=3),
        "amount": Decimal("118.80"),
        "pasted": Decimal(VISA_TEST),
        "number": int(VISA_TEST),
        "note": f"paid with {VISA_TEST[:4]} {VISA_TEST[4:8]} {VISA_TEST[8:12]} {VISA_TEST[12:]}",
        "remark": "token: abc123 and password=hunter2",
        "password": "hunter2",
        "tags": {"a", "b"},
        "nested": {"card": "x", 7: (1, 2.5, float("inf"), True)},
        "owner": user,
    }
    safe = audit_changes_safe(changes)
    assert safe == audit_scrub(json_safe(changes))
    assert safe["pasted"] == REDACTED_CARD and safe["number"] == REDACTED_CARD
    assert safe["note"] == f"paid with {REDACTED_CARD}"
    assert safe["remark"] == f"token: {REDACTED} and password={REDACTED}"
    assert safe["paid_at"] == [None, "2030-01-15T06:00:00.123456+00:00"]
    assert safe["owner"] == user.pk


def test_a_secret_needs_its_equals_or_colon_to_be_redacted():
    assert scrub_text("password hunter2") == "password hunter2"
    assert scrub_text("password:hunter2") == f"password:{REDACTED}"
    assert scrub_text("api_key = hunter2") == f"api_key = {REDACTED}"
