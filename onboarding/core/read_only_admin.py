"""The admin of records the app writes itself (audit entries, received events, customers made at
sign-up, webhook deliveries): staff may look at every field but never add, change or delete one
there, nor run a bulk action; the writes go through the audited services."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None
    # Fields never shown (secrets): they are left out of the read-only fields too.
    exclude: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in self.exclude]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
