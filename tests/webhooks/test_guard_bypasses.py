"""The SSRF guard against the usual bypasses: other spellings of loopback and private addresses,
IPv6 forms that embed an IPv4 address, a trailing dot, zone ids, and userinfo tricks."""

import pytest

from onboarding.webhooks.guard import UnsafeURL, url_check


@pytest.mark.parametrize(
    "url",
    [
        "https://2130706433/",  # decimal 127.0.0.1
        "https://0177.0.0.1/",  # octal
        "https://0x7f.0.0.1/",  # hex
        "https://127.1/",
        "https://0/",
        "https://localhost./",
        "https://LOCALHOST/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:7f00:1]/",
        "https://[::127.0.0.1]/",  # IPv4-compatible
        "https://[::]/",
        "https://[fe80::1%25eth0]/",
        "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "https://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
        "https://evil.example@127.0.0.1/",
        "https://127.0.0.1\\@example.com/",
        "https://metadata.google.internal./",
    ],
)
def test_other_spellings_of_internal_addresses_are_refused(settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURL):
        url_check(url)


def test_a_6to4_address_of_a_public_ipv4_address_passes():
    assert url_check("https://[2002:5db8:d70e::1]/").address == "2002:5db8:d70e::1"
