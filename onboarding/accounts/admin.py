"""Users and customers in the Django admin (the site itself: admin_site.py). Roles, not groups,
grant access. Customers are read-only here: their profile changes go through
customer_profile_update (the profile page, the API, the SysOps console), which audits them."""

from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext

from onboarding.accounts import events
from onboarding.accounts.models import Customer, User
from onboarding.accounts.services import customer_create
from onboarding.accounts.validators import vat_number_normalize
from onboarding.core.read_only_admin import ReadOnlyAdmin
from onboarding.core.roles import Role

AUDITED_USER_FIELDS = (
    "email",
    "role",
    "preferred_inbox",
    "staff_language",
    "is_active",
    "first_name",
    "last_name",
)


def _normalized_email(form: forms.ModelForm) -> str:
    email = form.cleaned_data["email"].strip().lower()
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(gettext("A user with this email address already exists."))
    return email


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role", "preferred_inbox")

    def clean_email(self) -> str:
        return _normalized_email(self)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = (
            "email",
            "first_name",
            "last_name",
            "role",
            "preferred_inbox",
            "staff_language",
            "is_active",
        )

    def clean_email(self) -> str:
        return _normalized_email(self)


# Access follows the four roles; Django groups would be a second, unused way to grant it.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    list_display = ("email", "full_name", "role", "preferred_inbox", "is_active", "has_totp")
    list_filter = ("role", "is_active", "preferred_inbox")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("role", "is_active", "preferred_inbox", "staff_language")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "role",
                    "preferred_inbox",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        return super().get_queryset(request).annotate(_has_totp=Exists(totp))

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description="TOTP", boolean=True)
    def has_totp(self, obj: User) -> bool:
        return bool(getattr(obj, "_has_totp", False))

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        # The admin's change view runs in a transaction: the audit entry commits with the change.
        before = {}
        if change:
            before = User.objects.filter(pk=obj.pk).values(*AUDITED_USER_FIELDS).first() or {}
        super().save_model(request, obj, form, change)
        changes = {
            field: [before.get(field), getattr(obj, field)]
            for field in AUDITED_USER_FIELDS
            if not change or before.get(field) != getattr(obj, field)
        }
        recorded = events.user_updated if change else events.user_created
        recorded(actor=request.user, user=obj, changes=changes)
        if obj.role == Role.CUSTOMER:
            # A customer account made here gets its customer record and journey as a sign-up
            # does; without one SysOps would not know the customer (idempotent).
            customer_create(user=obj)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("reference", "company", "vat_number", "email", "country", "created_at")
    list_select_related = ("user",)
    search_fields = ("company", "user__email", "user__last_name", "vat_number")
    search_help_text = "Company, email, last name or VAT number (spaces and dots allowed)."

    @admin.display(description="Reference", ordering="pk")
    def reference(self, obj: Customer) -> str:
        return obj.reference

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj: Customer) -> str:
        return obj.user.email

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        # VAT numbers are stored as tax offices print them ("DE136695976"); staff paste them
        # as customers write them ("de 136 695 976").
        number = vat_number_normalize(search_term)
        if number and number != search_term.strip():
            results |= queryset.filter(vat_number__startswith=number)
        return results, duplicates
