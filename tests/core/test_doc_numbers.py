"""The doc_numbers filter keeps references whole and escapes everything else."""

from onboarding.core.templatetags.doc_numbers import doc_numbers


def test_a_reference_is_wrapped_whole_and_the_rest_escaped():
    html = doc_numbers("Open critical request REQ-000013 <b>now</b> & INV-2026-000005")
    assert html == (
        'Open critical request <span class="doc-number">REQ-000013</span> '
        '&lt;b&gt;now&lt;/b&gt; &amp; <span class="doc-number">INV-2026-000005</span>'
    )


def test_words_with_hyphens_that_are_no_references_stay_as_they_are():
    assert doc_numbers("a 12-month term, e-mail, None") == "a 12-month term, e-mail, None"
    assert doc_numbers(None) == ""
