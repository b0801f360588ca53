"""The contract's acceptance status is derived from its ratings: the worst one wins."""

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
        (["red", "unrated"], AcceptanceStatus.IN_CAPTURE),
        (["unrated"], AcceptanceStatus.IN_CAPTURE),
    ],
)
def test_status_is_the_worst_rating(ratings, expected):
    assert status_of(ratings) == expected


def test_status_is_never_stored_so_a_new_rating_shows_at_once(contract, sysops):
    from onboarding.acceptance.requirements import requirement_add, requirement_rate
    from onboarding.acceptance.selectors import contract_status

    requirement = requirement_add(
        contract=contract, actor=sysops, title="VPN", criteria="VPN works", rating="green"
    )
    assert contract_status(contract=contract) == AcceptanceStatus.GREEN
    requirement_rate(requirement=requirement, actor=sysops, rating="red", note="tunnel down")
    assert contract_status(contract=contract) == AcceptanceStatus.RED
