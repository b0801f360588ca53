from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

from onboarding.accounts.roles import STAFF_ROLES, PreferredInbox, Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("role", Role.CUSTOMER)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person who signs in: a customer or a member of staff (sysops, manager, admin)."""

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    preferred_inbox = models.CharField(
        max_length=16, choices=PreferredInbox.choices, default=PreferredInbox.EMAIL
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles

    def save(self, *args, **kwargs) -> None:
        # Only admins reach the Django admin and hold Django permissions; the flags follow the
        # role so they never disagree (a demoted admin keeps no superuser power).
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)
