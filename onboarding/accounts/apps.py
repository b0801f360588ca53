from allauth.account import apps as allauth_account_apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "onboarding.accounts"
    label = "accounts"
    # allauth's app is also labelled "account"; each admin section says what it holds.
    verbose_name = "Users and customers"

    def ready(self) -> None:
        from django.core.checks import register

        from onboarding.accounts import receivers
        from onboarding.accounts.checks import check_access_rules

        receivers.connect()
        register(check_access_rules)


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site: allauth sign-in (password + TOTP), admins only."""

    default = False  # named explicitly in INSTALLED_APPS; AccountsConfig is this module's default
    default_site = "onboarding.accounts.admin_site.OnboardingAdminSite"


class AllauthAccountConfig(allauth_account_apps.AccountConfig):
    """allauth.account as it is, named in the admin for what it holds (sign-in email addresses)
    rather than a second "Accounts" beside ours."""

    default = False  # named explicitly in INSTALLED_APPS in place of "allauth.account"
    verbose_name = "Sign-in email addresses"
