"""`manage.py check --deploy` warns when production would issue invoices without the seller's
VAT number, and stays quiet in development or once the number is set."""

import pytest
from django.core.checks import run_checks

from tests.core.childproc import production_env, run_python


def billing_issues(*, deploy: bool = True) -> list[str]:
    return [
        issue.id
        for issue in run_checks(include_deployment_checks=deploy)
        if issue.id.startswith("billing.")
    ]


def test_check_deploy_warns_in_production_when_the_seller_has_no_vat_number(settings):
    settings.ENVIRONMENT, settings.BILLING_SELLER_TAX_ID = "production", ""

    [issue] = [i for i in run_checks(include_deployment_checks=True) if i.id == "billing.W001"]

    assert issue.is_serious() is False  # a warning: a seller below the VAT threshold has none
    assert "BILLING_SELLER_TAX_ID" in issue.msg


def test_a_blank_seller_vat_number_counts_as_empty(settings):
    settings.ENVIRONMENT, settings.BILLING_SELLER_TAX_ID = "production", "   "
    assert billing_issues() == ["billing.W001"]


def test_check_deploy_is_quiet_once_the_seller_vat_number_is_set(settings):
    settings.ENVIRONMENT, settings.BILLING_SELLER_TAX_ID = "production", "GB123456789"
    assert billing_issues() == []


def test_development_leaves_the_seller_vat_number_empty_without_a_warning(settings):
    settings.ENVIRONMENT, settings.BILLING_SELLER_TAX_ID = "development", ""
    assert billing_issues() == []


def test_the_plain_check_does_not_warn_about_the_seller_vat_number(settings):
    settings.ENVIRONMENT, settings.BILLING_SELLER_TAX_ID = "production", ""
    assert billing_issues(deploy=False) == []


@pytest.mark.django_db
def test_manage_py_check_deploy_shows_the_warning_and_still_exits_0_in_production():
    result = run_python(
        ["manage.py", "check", "--deploy"], production_env(BILLING_SELLER_TAX_ID="")
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "(billing.W001) BILLING_SELLER_TAX_ID is empty" in result.stdout + result.stderr
