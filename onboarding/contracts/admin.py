"""Contract templates in the Django admin (admins only): publish a new version to restyle.

A version is never edited: the admin shows existing versions read-only, and "add" publishes
through contract_template_publish, which refuses a template that does not render.
"""

from django import forms
from django.conf import settings
from django.contrib import admin

from onboarding.contracts.documents import contract_template_publish
from onboarding.contracts.models import ContractTemplate
from onboarding.core.forms import refusals_on


class ContractTemplateForm(forms.ModelForm):
    # The legal text's language: each language has its own versions (docs/contracts.md).
    # Left out (an older form or script): English, as before languages.
    language = forms.ChoiceField(choices=settings.LANGUAGES, initial="en", required=False)

    class Meta:
        model = ContractTemplate
        fields = ["language", "html", "css", "note"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.published: ContractTemplate | None = None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        with refusals_on(self):
            self.published = contract_template_publish(
                html=cleaned.get("html", ""),
                css=cleaned.get("css", ""),
                note=cleaned.get("note", ""),
                actor=self.actor,
                language=cleaned.get("language") or "en",
            )
        return cleaned


@admin.register(ContractTemplate)
class ContractTemplateAdmin(admin.ModelAdmin):
    list_display = ["language", "version", "note", "created_at", "created_by"]
    list_filter = ["language"]
    ordering = ["language", "-version"]
    form = ContractTemplateForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class WithActor(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, actor=request.user, **inner)

        return WithActor

    def get_readonly_fields(self, request, obj=None):
        fields = ["language", "version", "html", "css", "note", "created_at", "created_by"]
        return fields if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        # The change page shows a version; nothing on it can be saved.
        return obj is None or request.method in ("GET", "HEAD")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # contract_template_publish already stored (and audited) the version during clean().
        if form.published is not None:
            obj.pk, obj.version = form.published.pk, form.published.version
            obj.language = form.published.language
            obj._state.adding = False

    def log_addition(self, request, obj, message):
        return None  # the audit log has contract.template_published
