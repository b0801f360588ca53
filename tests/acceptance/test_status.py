"""The contract's acceptance status is derived from its ratings: a red wins at once, even during
capture; otherwise capture finishes first and then the worst rating wins."""

import pytest

from onboarding.acceptance.models import AcceptanceStatus, status_of


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([], AcceptanceStatus.UNKNOWN),
        (["green"], AcceptanceStatus.GREEN),
        (["green", "green"], AcceptanceStatus.GREEN),
        (["green", "yellow"], AcceptanceStatus.YELLOW),
        (["yellow", "red", "green"], AcceptanceStatus.RED),
        (["unrated"], AcceptanceStatus.IN_CAPTURE),
        (["green", "unrated"], AcceptanceStatus.IN_CAPTURE),
        # A yellow waits for the rest: a red may still join it.
        (["yellow", "unrated"], AcceptanceStatus.IN_CAPTURE),
        # A red does not wait: the contract is red whatever the unrated ones become.
        (["red", "unrated"], AcceptanceStatus.RED),
        (["unrated", "yellow", "red", "unrated"], AcceptanceStatus.RED),
    ],
)
def test_status_is_red_at_once_otherwise_the_worst_rating_once_all_are_rated(ratings, expected):
    assert status_of(ratings) == expected


def test_a_value_that_is_no_rating_is_refused_not_read_as_green():
    with pytest.raises(ValueError, match="purple"):
        status_of(["green", "purple"])


def test_status_is_never_stored_so_a_new_rating_shows_at_once(contract, sysops):
    from onboarding.acceptance.requirements import requirement_add, requirement_rate
    from onboarding.acceptance.selectors import contract_status

    requirement = requirement_add(
        contract=contract, actor=sysops, title="VPN", criteria="VPN works", rating="green"
    )
    assert contract_status(contract=contract) == AcceptanceStatus.GREEN
    requirement_rate(requirement=requirement, actor=sysops, rating="red", note="tunnel down")
    assert contract_status(contract=contract) == AcceptanceStatus.RED
