import pytest

from onboarding.core.cardmask import (
    card_number_spans,
    contains_card_number,
    is_card_number,
    mask_card_numbers,
)

VISA = "4242424242424242"
DECLINED = "4000000000000002"
DIGEST = "a7bbb651b3068cb1372915ba2162936858063b24af8be1e50d2fa9fde25a6af8"


def test_a_card_grouped_by_spaces_keeps_its_last_four_and_its_shape():
    assert mask_card_numbers("paid with 4242 4242 4242 4242.") == "paid with •••• •••• •••• 4242."


def test_a_card_grouped_by_dashes_is_masked():
    assert mask_card_numbers("card 4000-0000-0000-0002") == "card ••••-••••-••••-0002"


def test_an_ungrouped_card_is_masked_even_glued_to_words():
    assert mask_card_numbers(f"card{VISA}!") == "card••••••••••••4242!"


def test_an_amex_in_its_own_grouping_is_masked():
    assert mask_card_numbers("3782 822463 10005") == "•••• •••••• •0005"


def test_a_card_followed_by_its_expiry_is_found_whole():
    assert mask_card_numbers("4242 4242 4242 4242 12 26") == "•••• •••• •••• 4242 12 26"


def test_every_card_in_a_text_is_masked():
    text = mask_card_numbers(f"{VISA} or {DECLINED}\n4242-4242-4242-4242")
    assert not contains_card_number(text)
    assert text.count("•") == 36


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424241",  # 16 digits failing the Luhn check
        "4242 4242 4242 4241",
        "424242424242",  # 12 digits: too short
        "42424242424242424242",  # 20 digits: too long
        DIGEST,  # holds 2162936858063, which passes the Luhn check
        "ch_sbx_4242424242424242abcd0123",  # a gateway's id: 24 hex characters
        "42424242-4242-4242-4242-4242abcdef01",  # a UUID whose digit groups add up to a card
        "invoice INV-2026-000123, call +44 20 7946 0958",
        "",
    ],
)
def test_text_without_a_card_number_is_kept(text):
    assert mask_card_numbers(text) == text


def test_a_card_beside_a_hex_digest_is_masked_and_the_digest_kept():
    assert mask_card_numbers(f"{DIGEST} {VISA}") == f"{DIGEST} ••••••••••••4242"


def test_masking_never_changes_the_length():
    text = f"a {VISA} b 4000 0000 0000 0002 c"
    assert len(mask_card_numbers(text)) == len(text)


def test_card_number_spans_point_at_the_cards():
    text = f"x {VISA} y"
    assert card_number_spans(text) == [(2, 18)]
    assert is_card_number("4242 4242 4242 4242")
    assert not is_card_number("4242 4242 4242 4241")


def test_a_card_glued_to_a_word_is_not_taken_for_a_hex_id():
    assert mask_card_numbers(f"ref{VISA} card{VISA}") == "ref••••••••••••4242 card••••••••••••4242"


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("4242  4242  4242  4242", "••••  ••••  ••••  4242"),
        ("4242\n4242\n4242\n4242", "••••\n••••\n••••\n4242"),
        ("4242 - 4242 - 4242 - 4242", "•••• - •••• - •••• - 4242"),
    ],
)
def test_a_card_split_by_several_spaces_dashes_or_lines_is_masked(typed, masked):
    assert mask_card_numbers(f"card: {typed}") == f"card: {masked}"


# The digit count that skips texts too short for a card: ASCII text counts its digits by bytes,
# any other text by pattern (digits of other scripts count too, as luhn_valid reads them).


def test_a_card_in_text_with_letters_beyond_ascii_is_masked():
    assert mask_card_numbers("Zahlung über 4242 4242 4242 4242 €") == (
        "Zahlung über •••• •••• •••• 4242 €"
    )


def test_a_card_typed_in_arabic_indic_digits_is_still_found():
    arabic = VISA.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert card_number_spans(f"card {arabic}") == [(5, 21)]


def test_a_bare_card_of_exactly_thirteen_characters_is_found():
    thirteen = "4222222222222"  # Visa's 13-digit test number, passes Luhn
    assert is_card_number(thirteen)
    assert card_number_spans(thirteen) == [(0, 13)]


@pytest.mark.parametrize("text", ["424242424242", "4242 4242 4242", "INV-2030-000001 for 12"])
def test_fewer_than_thirteen_digits_are_never_a_card(text):
    assert card_number_spans(text) == []
