"""Mailboxes we read, every message they bring (raw, before processing), and the mail we send."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import Contact, Organisation
from weibao.core.models import TimeStamped
from weibao.tickets.models import Message, Ticket


class Protocol(models.TextChoices):
    IMAP = "imap", _("IMAP 收信")
    SMTP = "smtp", _("SMTP 直接投递")


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("不加密（仅限本机）")


class ProcessedAction(models.TextChoices):
    MOVE = "move", _("移到文件夹")
    FLAG = "flag", _("加标记")


class UnknownSenderPolicy(models.TextChoices):
    UNVERIFIED = "unverified", _("建立请求并标记“请求人未验证”")
    QUARANTINE = "quarantine", _("放入隔离区")


class Mailbox(TimeStamped):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    address = models.EmailField(_("邮箱地址"), unique=True, help_text=_("客户来信的地址，例如 support@vendor.cn"))
    protocol = models.CharField(_("收信方式"), max_length=10, choices=Protocol.choices, default=Protocol.IMAP)
    is_active = models.BooleanField(_("启用"), default=True)
    is_default = models.BooleanField(_("默认发信邮箱"), default=False, help_text=_("非邮件渠道的请求用它发通知"))
    imap_host = models.CharField(_("IMAP 服务器"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP 端口"), default=993)
    imap_security = models.CharField(_("加密"), max_length=10, choices=Security.choices, default=Security.SSL)
    imap_user = models.CharField(_("IMAP 用户名"), max_length=200, blank=True)
    # The password is never shown back: stored encrypted, or referenced from the environment or a file.
    password_encrypted = models.TextField(blank=True, editable=False)
    password_env = models.CharField(_("密码环境变量"), max_length=100, blank=True, help_text=_("从这个环境变量读取密码"))
    password_file = models.CharField(_("密码文件"), max_length=300, blank=True, help_text=_("从这个文件读取密码（如 Docker secret）"))
    folder = models.CharField(_("收信文件夹"), max_length=200, default="INBOX")
    processed_action = models.CharField(_("处理后"), max_length=10, choices=ProcessedAction.choices, default=ProcessedAction.MOVE)
    processed_folder = models.CharField(_("已处理文件夹"), max_length=200, default="Weibao/Processed")
    use_idle = models.BooleanField(_("使用 IDLE 即时收信"), default=True)
    unknown_sender_policy = models.CharField(
        _("陌生发件人"), max_length=12, choices=UnknownSenderPolicy.choices, default=UnknownSenderPolicy.UNVERIFIED
    )
    fallback_organisation = models.ForeignKey(
        Organisation, verbose_name=_("未验证来信归属组织"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("陌生发件人建立的请求归到这里，等待人工核实"),
    )
    last_polled_at = models.DateTimeField(_("上次收信"), null=True, blank=True)
    last_error = models.TextField(_("上次错误"), blank=True)

    class Meta:
        verbose_name = _("邮箱")
        verbose_name_plural = _("邮箱")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted or self.password_env or self.password_file)


class Source(models.TextChoices):
    IMAP = "imap", _("IMAP")
    SMTP = "smtp", _("SMTP")
    IMPORT = "import", _("导入")


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    PROCESSED = "processed", _("已处理")
    QUARANTINED = "quarantined", _("已隔离")


class Outcome(models.TextChoices):
    NONE = "", _("—")
    CREATED = "created", _("新建请求")
    JOINED = "joined", _("并入已有请求")
    REOPENED = "reopened", _("重开请求")
    MACHINE = "machine", _("机器邮件")
    DELIVERY_FAILURE = "delivery_failure", _("退信已记录")
    DUPLICATE = "duplicate", _("重复邮件")


class InboundMessage(models.Model):
    """One message as it arrived. The raw bytes are on disk (raw_path) before this row is processed."""

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("邮箱"), null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    dedupe_key = models.CharField(max_length=300, help_text="mid:<Message-ID>, or sha256:<hash> without one")
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    sha256 = models.CharField(max_length=64)
    raw_path = models.CharField(max_length=300)
    size = models.PositiveIntegerField(default=0)
    envelope_from = models.CharField(max_length=320, null=True, blank=True, help_text="SMTP MAIL FROM; '' is the null sender")
    envelope_to = models.JSONField(default=list, blank=True)
    from_addr = models.CharField(_("发件人"), max_length=320, blank=True)
    from_name = models.CharField(_("发件人姓名"), max_length=200, blank=True)
    subject = models.CharField(_("主题"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("接收时间"))
    status = models.CharField(_("状态"), max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices, blank=True, default="")
    machine_kind = models.CharField(_("机器邮件类型"), max_length=20, blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    new_text = models.TextField(blank=True)
    quoted_text = models.TextField(blank=True)
    signature_text = models.TextField(blank=True)
    ticket = models.ForeignKey(Ticket, verbose_name=_("服务请求"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey(Contact, verbose_name=_("联系人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("来信")
        verbose_name_plural = _("来信")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "dedupe_key"], name="inbound_mailbox_dedupe_unique"),
            models.UniqueConstraint(fields=["dedupe_key"], condition=Q(mailbox__isnull=True), name="inbound_nomailbox_dedupe_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="inbound_status_idx"),
            models.Index(fields=["from_addr", "received_at"], name="inbound_sender_idx"),
            models.Index(fields=["dedupe_key"], name="inbound_dedupe_idx"),
            models.Index(fields=["ticket", "id"], name="inbound_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_addr}: {self.subject}"


class OutboundKind(models.TextChoices):
    RECEIPT = "receipt", _("客户回执")
    REPLY = "reply", _("服务人员回复")
    RESOLUTION = "resolution", _("解决确认")
    SURVEY = "survey", _("满意度调查")
    SLA_WARNING = "sla_warning", _("SLA 预警")


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    BOUNCED = "bounced", _("退信")
    SKIPPED = "skipped", _("未发送（已不适用）")


class OutboundMail(models.Model):
    """One mail we send for one ticket event to one recipient; `key` makes retries send it once."""

    key = models.CharField(max_length=300, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    event_id = models.BigIntegerField()
    kind = models.CharField(_("类型"), max_length=20, choices=OutboundKind.choices)
    recipient = models.CharField(_("收件人"), max_length=320)
    language = models.CharField(max_length=10)
    message_id = models.CharField(max_length=255, unique=True)
    subject = models.CharField(_("主题"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("发出的邮件")
        verbose_name_plural = _("发出的邮件")
        indexes = [models.Index(fields=["ticket", "id"], name="outbound_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"


class DecisionAction(models.TextChoices):
    CONFIRM = "confirm", _("确认解决")
    REJECT = "reject", _("未解决，退回")


class DecisionLink(models.Model):
    """A one-time link in a resolution mail: the contact confirms or rejects without signing in.

    The token in the mail is signed (it names this row, the request, the contact and the action) and carries a
    nonce of which only the hash is stored. It answers one resolution (`resolved_at`), expires, and is spent,
    together with its sibling, by the first decision.
    """

    nonce_hash = models.CharField(max_length=64, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=DecisionAction.choices)
    resolved_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("邮件确认链接")
        verbose_name_plural = _("邮件确认链接")
        indexes = [models.Index(fields=["ticket", "resolved_at"], name="decisionlink_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.ticket_id} → {self.contact_id}"
