"""Users and their profile."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from pyros.accounts.profiles import ProfileLevel
from pyros.accounts.rights import Access, access


class Profile(models.Model):
    """One of the eight profiles; loaded by ``pyros init``."""

    level = models.PositiveSmallIntegerField(
        unique=True, choices=[(p.value, p.name) for p in ProfileLevel]
    )
    name = models.CharField(max_length=40, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["level"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A PyROS user. Without a profile a user has a visitor's rights."""

    profile = models.ForeignKey(
        Profile, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    other_email = models.EmailField(blank=True)
    institute = models.CharField(max_length=200, blank=True)
    #: When a PI activated the registered account; its activation link is dead after.
    activated_at = models.DateTimeField(null=True, blank=True)
    intentions = models.TextField(
        blank=True, help_text="What the user said they want to do, when registering."
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    @property
    def level(self) -> ProfileLevel:
        if self.is_superuser:
            return ProfileLevel.SYSADMIN
        if self.profile_id is None:
            return ProfileLevel.VISITOR
        return ProfileLevel(self.profile.level)

    def access(self, right: str) -> Access:
        return access(self.level, right)

    def can(self, right: str, at_least: Access = Access.READ) -> bool:
        return self.is_active and self.access(right) >= at_least


def user_level(user: object) -> ProfileLevel:
    """The profile level of any request user, anonymous visitors included."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return ProfileLevel.VISITOR
    return user.level  # type: ignore[attr-defined]


def user_access(user: object, right: str) -> Access:
    return access(user_level(user), right)


class ApiToken(models.Model):
    """A user's REST API token: one per user, valid until ``expires``.

    Only the SHA-256 of the key is stored, so a copy of the database (a backup, a
    replica) holds no usable key; the key is shown once, when it is made. A key is 160
    random bits: a plain hash is enough (no salt or slow hash needed against guessing).
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key, hex")
    created = models.DateTimeField()
    expires = models.DateTimeField()

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"API token of {self.user} (expires {self.expires:%Y-%m-%d %H:%M} UTC)"
