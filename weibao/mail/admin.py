from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from weibao.mail.credentials import password_encrypt
from weibao.mail.models import InboundMessage, Mailbox


class MailboxForm(forms.ModelForm):
    # Write-only: the stored password is never put back into the page.
    new_password = forms.CharField(
        label=_("设置新密码"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("留空则保持原密码；保存后不会再显示"),
    )
    clear_password = forms.BooleanField(label=_("清除已保存的密码"), required=False)

    class Meta:
        model = Mailbox
        fields = (
            "name", "address", "protocol", "is_active", "is_default", "imap_host", "imap_port", "imap_security",
            "imap_user", "new_password", "clear_password", "password_env", "password_file", "folder",
            "processed_action", "processed_folder", "use_idle", "unknown_sender_policy", "fallback_organisation",
        )

    def save(self, commit: bool = True) -> Any:
        mailbox = super().save(commit=False)
        if self.cleaned_data.get("clear_password"):
            mailbox.password_encrypted = ""
        elif self.cleaned_data.get("new_password"):
            mailbox.password_encrypted = password_encrypt(self.cleaned_data["new_password"])
        if commit:
            mailbox.save()
        return mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "address", "protocol", "imap_host", "is_active", "is_default", "last_polled_at", "last_error")
    list_filter = ("protocol", "is_active")
    search_fields = ("name", "address", "imap_host")
    readonly_fields = ("password_stored", "last_polled_at", "last_error")

    @admin.display(description=_("已保存密码"), boolean=True)
    def password_stored(self, obj: Mailbox) -> bool:
        return bool(obj.password_encrypted)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "received_at", "mailbox", "from_addr", "subject", "status", "outcome", "machine_kind")
    list_filter = ("status", "outcome", "machine_kind", "mailbox")
    search_fields = ("from_addr", "subject", "message_id")
    readonly_fields = [f.name for f in InboundMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
