"""Service requests (服务请求) and everything recorded around them.

Status is written only by `services.ticket_transition`; every change appends a TicketEvent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import Contact, Organisation, Team
from weibao.core.models import PublicIdModel, TimeStamped
from weibao.customers.models import Component, Environment, System
from weibao.tickets.states import ACTIVE_VALUES, STATUS_CHOICES, Status


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    PORTAL = "portal", _("门户")
    CHAT = "chat", _("即时通讯")
    API = "api", _("API")
    MONITORING = "monitoring", _("监控告警")
    ONSITE = "onsite", _("现场")


class TicketType(models.TextChoices):
    CONSULTATION = "consultation", _("咨询")
    FAULT = "fault", _("故障")
    SERVICE_REQUEST = "service_request", _("服务请求")
    CUSTOMISATION = "customisation", _("定制开发")
    UPGRADE = "upgrade", _("升级")
    TRAINING = "training", _("培训")
    COMPLAINT = "complaint", _("投诉")


class MaintenanceCategory(models.TextChoices):
    BLANK = "", _("未分类")
    CORRECTIVE = "corrective", _("纠错性维护")
    ADAPTIVE = "adaptive", _("适应性维护")
    PERFECTIVE = "perfective", _("完善性维护")


class Level(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class Priority(models.TextChoices):
    P1 = "p1", _("P1 紧急")
    P2 = "p2", _("P2 高")
    P3 = "p3", _("P3 中")
    P4 = "p4", _("P4 低")


class EntitlementKindChoice(models.TextChoices):
    BLANK = "", _("未评估")
    FREE = "free", _("免费")
    PREPAID = "prepaid", _("预付工时")
    PAID = "paid", _("有偿")


class ResolutionMethod(models.TextChoices):
    BLANK = "", _("未填写")
    FRONTEND_GUIDANCE = "frontend_guidance", _("前台操作指导")
    CONFIGURATION = "configuration", _("配置调整")
    DATA_FIX = "data_fix", _("后台数据修复")
    CODE_FIX = "code_fix", _("程序修复")
    WORKAROUND = "workaround", _("临时规避")
    NOT_REPRODUCIBLE = "not_reproducible", _("无法复现")


class TicketSequence(models.Model):
    """The last number issued per year: one row per year, incremented under the row's write lock."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Ticket(PublicIdModel):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    # No single-column index on organisation, team or assignee: the composite indexes below start with each
    # (ticket_org_id_idx, ticket_team_idx, ticket_assignee_idx) and serve the same lookups; every index is
    # written on every create.
    organisation = models.ForeignKey(Organisation, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="tickets",
                                     db_index=False)
    requester = models.ForeignKey(Contact, verbose_name=_("报告人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    system = models.ForeignKey(System, verbose_name=_("系统"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    component = models.ForeignKey(Component, verbose_name=_("组件"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    environment = models.ForeignKey(Environment, verbose_name=_("环境"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    type = models.CharField(_("类型"), max_length=20, choices=TicketType.choices, default=TicketType.FAULT)
    maintenance_category = models.CharField(_("维护类别"), max_length=20, choices=MaintenanceCategory.choices, blank=True, default="")
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    impact = models.CharField(_("影响范围"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(_("优先级"), max_length=2, choices=Priority.choices, default=Priority.P3)
    status = models.CharField(_("状态"), max_length=24, choices=STATUS_CHOICES, default=Status.NEW.value)
    subject = models.CharField(_("标题"), max_length=300)
    description = models.TextField(_("描述"), blank=True)
    team = models.ForeignKey(Team, verbose_name=_("团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
                             db_index=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_tickets", db_index=False)
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("关注人"), blank=True, related_name="watched_tickets")
    tags = models.JSONField(_("标签"), default=list, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("上级请求"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    merged_into = models.ForeignKey("self", verbose_name=_("合并至"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged")
    entitlement_kind = models.CharField(_("费用性质"), max_length=10, choices=EntitlementKindChoice.choices, blank=True, default="")
    entitlement_reason = models.TextField(_("费用依据"), blank=True)
    entitlement_overridden = models.BooleanField(_("人工调整费用性质"), default=False)
    assessment_note = models.TextField(_("评估意见"), blank=True)
    resolution_method = models.CharField(_("解决方式"), max_length=24, choices=ResolutionMethod.choices, blank=True, default="")
    resolution_root_cause = models.TextField(_("根本原因"), blank=True)
    resolution_text = models.TextField(_("解决说明"), blank=True)
    data_fix_consent_at = models.DateTimeField(_("客户同意后台修复时间"), null=True, blank=True)
    data_fix_consent_note = models.TextField(_("客户同意记录"), blank=True)
    decline_reason = models.TextField(_("不予受理原因"), blank=True)
    reopen_count = models.PositiveIntegerField(_("重开次数"), default=0)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_automatically = models.BooleanField(_("自动关闭"), default=False)
    unverified_requester = models.BooleanField(_("报告人未核实"), default=False)
    # The earliest deadline of a running SLA clock, null when none runs. Written only by the SLA app (through
    # `ticket_due_set`) whenever a clock starts, pauses, resumes, stops or is recomputed, so the queues can sort
    # and filter by due time from an index instead of computing every open request's clocks per page.
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("服务请求")
        verbose_name_plural = _("服务请求")
        ordering = ["-id"]
        indexes = [
            # Queue lists are "where <filter> order by -id" and are cursor-paginated on id.
            models.Index(fields=["organisation", "-id"], name="ticket_org_id_idx"),
            models.Index(fields=["status", "-id"], name="ticket_status_id_idx"),
            models.Index(fields=["assignee", "status", "-id"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status", "-id"], name="ticket_team_idx"),
            models.Index(fields=["status", "resolved_at"], name="ticket_resolved_idx"),
            models.Index(fields=["status", "closed_at"], name="ticket_closed_idx"),
            # The work queues read active requests only, a few percent of a million once most are closed: partial
            # indexes that give each queue's rows in its own order, so a page stops after its rows instead of
            # sorting the whole queue. No index on all active rows by id: with one, PostgreSQL walks it for "mine"
            # and filters, which for an engineer with no open work means every active row (measured 316 ms).
            models.Index(fields=["assignee", "-id"], name="ticket_active_assignee_idx",
                         condition=Q(status__in=ACTIVE_VALUES)),
            models.Index(fields=["team", "-id"], name="ticket_active_team_idx", condition=Q(status__in=ACTIVE_VALUES)),
            models.Index(fields=["team", "priority", "-id"], name="ticket_active_team_prio_idx",
                         condition=Q(status__in=ACTIVE_VALUES)),
            models.Index(fields=["-id"], name="ticket_unassigned_idx",
                         condition=Q(assignee__isnull=True, status__in=ACTIVE_VALUES)),
            models.Index(fields=["priority", "-id"], name="ticket_unassigned_prio_idx",
                         condition=Q(assignee__isnull=True, status__in=ACTIVE_VALUES)),
            # A customer's open requests (the API's queue=open): often none at all, and then PostgreSQL, expecting
            # some, walked the primary key back through every row (measured 754 ms at 1,000,000).
            models.Index(fields=["organisation", "-id"], name="ticket_active_org_idx",
                         condition=Q(status__in=ACTIVE_VALUES)),
            # Due order of the work queues (nulls last: PostgreSQL's ascending default, which the keyset pagination
            # asks for). "Due soon" and "overdue" are ranges of the active (due_at, id) index.
            models.Index(fields=["assignee", "due_at", "id"], name="ticket_active_assignee_due_idx",
                         condition=Q(status__in=ACTIVE_VALUES)),
            models.Index(fields=["team", "due_at", "id"], name="ticket_active_team_due_idx",
                         condition=Q(status__in=ACTIVE_VALUES)),
            models.Index(fields=["due_at", "id"], name="ticket_unassigned_due_idx",
                         condition=Q(assignee__isnull=True, status__in=ACTIVE_VALUES)),
            models.Index(fields=["due_at", "id"], name="ticket_active_due_idx", condition=Q(status__in=ACTIVE_VALUES)),
            models.Index(fields=["due_at", "id"], name="ticket_waiting_due_idx",
                         condition=Q(status=Status.WAITING_CUSTOMER.value)),
            # The portal's "my organisation's open requests" and the API's organisation + status filter.
            models.Index(fields=["organisation", "status", "-id"], name="ticket_org_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class TicketEvent(models.Model):
    """Append-only history; each row is also an outbox message (topic "ticket.event")."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["ticket", "id"], name="ticket_event_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.kind}"


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("内容"))
    body_html = models.TextField(blank=True)
    internal = models.BooleanField(_("内部备注"), default=False)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["ticket", "id"], name="ticket_message_idx")]


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the user's filename is kept in the row, never trusted on disk.
    return f"tickets/{instance.ticket.public_id}/{instance.sha256[:2]}/{instance.public_id}"


class Attachment(PublicIdModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]


class LinkKind(models.TextChoices):
    RELATED = "related", _("相关")
    DUPLICATE_OF = "duplicate_of", _("重复于")


class TicketLink(models.Model):
    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="ticket_link_not_self"),
        ]


class WorkMode(models.TextChoices):
    REMOTE = "remote", _("远程")
    PHONE = "phone", _("电话")
    ONSITE = "onsite", _("现场")


class TimeEntry(PublicIdModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries")
    mode = models.CharField(_("方式"), max_length=10, choices=WorkMode.choices)
    started_at = models.DateTimeField(_("开始时间"))
    minutes = models.PositiveIntegerField(_("分钟"))
    billable = models.BooleanField(_("计费"), default=True)
    note = models.TextField(_("说明"), blank=True)
    prepaid_drawn = models.BooleanField(_("已扣预付工时"), default=False)

    class Meta:
        ordering = ["id"]


class Visit(PublicIdModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="visits")
    date = models.DateField(_("日期"))
    engineers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="visits", verbose_name=_("工程师"))
    arrived_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    departed_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    customer_signatory = models.CharField(_("客户签字人"), max_length=100, blank=True)
    summary = models.TextField(_("工作内容"), blank=True)

    class Meta:
        ordering = ["date", "id"]


class Survey(models.Model):
    """The customer's rating after closing; one per ticket."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey")
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="survey_rating_1_5")
        ]


class FollowUpResult(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    ISSUES = "issues", _("有遗留问题")
    UNREACHABLE = "unreachable", _("未联系上")


class FollowUp(TimeStamped):
    """回访: the service manager's call after closing."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follow_ups")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("回访结果"), max_length=20, choices=FollowUpResult.choices)
    note = models.TextField(_("回访记录"), blank=True)

    class Meta:
        ordering = ["-id"]


class QualityReview(TimeStamped):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="quality_review")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("评分"))
    findings = models.TextField(_("发现"), blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="quality_score_0_100")]


class CannedReply(TimeStamped):
    title = models.CharField(_("标题"), max_length=200, unique=True)
    body = models.TextField(_("内容"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("常用回复")
        verbose_name_plural = _("常用回复")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class AssignmentStrategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("轮流分配")
    LEAST_LOADED = "least_loaded", _("负载最低")
    TEAM_ONLY = "team_only", _("仅分配到团队")


class AssignmentRule(TimeStamped):
    """First matching rule (lowest position) gives the team; blank criteria match anything."""

    position = models.PositiveIntegerField(_("顺序"), default=100)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    system = models.ForeignKey(System, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    component = models.ForeignKey(Component, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=20, choices=TicketType.choices, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assignment_rules")
    strategy = models.CharField(max_length=20, choices=AssignmentStrategy.choices, default=AssignmentStrategy.ROUND_ROBIN)
    last_assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("分派规则")
        verbose_name_plural = _("分派规则")
        ordering = ["position", "id"]


class PriorityMatrixEntry(models.Model):
    """urgency × impact → priority, as data an administrator may edit."""

    urgency = models.CharField(max_length=10, choices=Level.choices)
    impact = models.CharField(max_length=10, choices=Level.choices)
    priority = models.CharField(max_length=2, choices=Priority.choices)

    class Meta:
        verbose_name = _("优先级矩阵")
        verbose_name_plural = _("优先级矩阵")
        constraints = [models.UniqueConstraint(fields=["urgency", "impact"], name="priority_matrix_unique")]
