"""Registration and the account's own settings: the forms, and the two changes they make
(an account created inactive, an account activated), each stored with its mails in one
transaction (``accounts.mails``).

A registered account gets the **Observer** profile, inactive: the guide's workflow
(13.12.1.2) has the new user, once the PI activated them, submit a proposal for the next
period or requests for their programs, which the matrix gives to the Observer and not to
the Visitor. Until the PI activates it, the account cannot log in at all.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import IntegrityError, transaction

from pyros import clock
from pyros.accounts.mails import notify_account_state, notify_registration
from pyros.accounts.models import Profile, User
from pyros.accounts.profiles import ProfileLevel
from pyros.mail.outbox import queue_mail

#: The profile a registered account gets (see the module's docstring).
REGISTERED_PROFILE = ProfileLevel.OBSERVER


class RegistrationForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()],
                               help_text="Letters, digits and @ . + - _ only.")
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(label="E-mail", max_length=254)
    institute = forms.CharField(max_length=200)
    intentions = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What you would like to observe, and why: the PI reads it to validate "
                  "your account.")
    password1 = forms.CharField(label="Password", strip=False, max_length=128,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", strip=False, max_length=128,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_username(self) -> str:
        username = User.normalize_username(self.cleaned_data["username"])
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This user name is taken.")
        return username

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail already exists; "
                                        "forgot its password?")
        return email

    def clean(self) -> dict:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            candidate = User(username=data.get("username", ""), email=data.get("email", ""),
                             first_name=data.get("first_name", ""),
                             last_name=data.get("last_name", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data

    def register(self) -> User | None:
        """Create the inactive account and queue its mails, all or nothing. A name taken
        between the check and the insert becomes a form error (None is returned)."""
        data = self.cleaned_data
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    data["username"], data["email"], data["password1"],
                    first_name=data["first_name"], last_name=data["last_name"],
                    institute=data["institute"], intentions=data["intentions"],
                    is_active=False, profile=Profile.objects.get(level=REGISTERED_PROFILE))
                notify_registration(user)
        except IntegrityError:
            self.add_error("username", "This user name is taken.")
            return None
        return user


def activate(user: User, by: User) -> None:
    """Activate a registered account and mail its owner; once activated (whatever
    happens to it next), its activation link is dead."""
    with transaction.atomic():
        user.is_active = True
        user.activated_at = clock.now()
        user.save(update_fields=["is_active", "activated_at"])
        notify_account_state(user, True, by)


class OtherEmailForm(forms.ModelForm):
    """The only field of their own account a user edits besides the password (the
    guide's "Profil perso: edit only other email, password")."""

    class Meta:
        model = User
        fields = ["other_email"]
        labels = {"other_email": "Other e-mail"}
        help_texts = {"other_email": "A second address, e.g. a personal one. Your main "
                                     "address is changed by the PI."}


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, its mail sent through the outbox (retried, never lost)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None) -> None:
        from django.template import loader

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        queue_mail(to_email, subject, body, kind="password reset")
