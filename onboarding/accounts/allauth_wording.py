"""allauth's own words that a customer meets on the pages we do not override, worded formally.

allauth's German catalogue says *du* in places; the site says *Sie* (docs/i18n.md). Our catalogue
(settings.LOCALE_PATHS) is read before allauth's, so an entry for the same msgid there wins: each
text below is allauth's msgid, word for word, marked here so that check_catalogues keeps its
German (formal) and French (vous) entries in locale/ (and reports them if this list drops one).
Nothing imports this module: allauth itself translates the texts where it shows them.

Only texts a customer can reach with this project's settings are listed (email management,
password change and reset from the link, sign-out, the second factor's pages, the messages these
leave); texts of features that are off (usernames, phone numbers, sign-in codes, social
accounts, passkeys) are not. tests/accounts/test_allauth_formal_german.py renders the pages.
"""

from django.utils.translation import gettext_noop

ALLAUTH_FORMAL = (
    # account/adapter.py: form errors and rate limits
    gettext_noop("You cannot remove your primary email address."),
    gettext_noop("Please type your current password."),
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("Your primary email address must be verified."),
    gettext_noop("Be patient, you are sending too many requests."),
    # account/email.html (its confirmation before removing an address)
    gettext_noop("Do you really want to remove the selected email address?"),
    # account/logout.html (a GET of the sign-out address)
    gettext_noop("Are you sure you want to sign out?"),
    # account/messages/*.txt
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop("You have signed out."),
    # account/password_reset_from_key.html and _done.html (the link in the reset mail)
    gettext_noop(
        "The password reset link was invalid, possibly because it has already been used.  "
        'Please request a <a href="%(passwd_reset_url)s">new password reset</a>.'
    ),
    gettext_noop("Your password is now changed."),
    # account/snippets/already_logged_in.html (our password reset pages, signed in)
    gettext_noop("You are already logged in as %(user_display)s."),
    # mfa/recovery_codes/generate.html, mfa/totp/deactivate_form.html
    gettext_noop("You are about to generate a new set of recovery codes for your account."),
    gettext_noop(
        "You are about to deactivate authenticator app based authentication. Are you sure?"
    ),
)
