"""Calendars (time zone, working intervals, holidays and make-up workdays) and SLA policies."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from weibao.core.models import PublicIdModel


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("星期一")
    TUESDAY = 1, _("星期二")
    WEDNESDAY = 2, _("星期三")
    THURSDAY = 3, _("星期四")
    FRIDAY = 4, _("星期五")
    SATURDAY = 5, _("星期六")
    SUNDAY = 6, _("星期日")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日")
    MAKEUP_WORKDAY = "makeup_workday", _("调休工作日")


class Calendar(PublicIdModel):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    time_zone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    always_open = models.BooleanField(_("7×24 全天候"), default=False,
                                      help_text=_("全天候日历不区分工作时段，也不适用节假日。"))
    holiday_region = models.CharField(_("节假日地区"), max_length=8, default="CN", blank=True,
                                      help_text=_("使用哪个地区的节假日与调休表；留空表示不适用节假日。"))
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingInterval(models.Model):
    """One working interval of one weekday; end 00:00 means midnight at the end of the day (24:00)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="intervals", verbose_name=_("日历"))
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"), help_text=_("00:00 表示当天 24:00。"))

    class Meta:
        verbose_name = _("工作时段")
        verbose_name_plural = _("工作时段")
        ordering = ["calendar", "weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def minutes(self) -> tuple[int, int]:
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return start, (1440 if end == 0 else end)


class HolidayDate(models.Model):
    """A statutory holiday or a make-up workday (调休) of a region; shared by every calendar of the region."""

    region = models.CharField(_("地区"), max_length=8, default="CN")
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=20, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    in_lieu = models.BooleanField(_("调休补假"), default=False)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["region", "date"]
        constraints = [models.UniqueConstraint(fields=["region", "date"], name="sla_holiday_region_date_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("首次响应")
    SOLUTION_PLAN = "solution_plan", _("解决方案")
    RESOLUTION = "resolution", _("解决")


class Policy(PublicIdModel):
    """The SLA targets of a contract, of a service level, or the default (exactly one is_default)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("工作日历"))
    contract = models.OneToOneField("customers.Contract", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="sla_policy", verbose_name=_("合同"))
    service_level = models.CharField(_("服务级别"), max_length=20, blank=True)
    is_default = models.BooleanField(_("默认策略"), default=False)
    pause_statuses = models.JSONField(_("暂停计时的状态"), default=list, blank=True,
                                      help_text=_("工单处于这些状态时，解决时限暂停计时。"))
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("服务级别策略")
        verbose_name_plural = _("服务级别策略")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="sla_policy_single_default"),
        ]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """A working-time target; request_type blank = any type (a typed row wins over it)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("策略"))
    metric = models.CharField(_("指标"), max_length=20, choices=Metric.choices)
    priority = models.CharField(_("优先级"), max_length=4)
    request_type = models.CharField(_("请求类型"), max_length=30, blank=True)
    minutes = models.PositiveIntegerField(_("时限（工作分钟）"))

    class Meta:
        verbose_name = _("时限目标")
        verbose_name_plural = _("时限目标")
        ordering = ["policy", "metric", "priority", "request_type"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "priority", "request_type"], name="sla_target_unique"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="sla_target_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.metric} {self.priority} {self.request_type or '*'}: {self.minutes}"


class EscalationAction(models.TextChoices):
    NOTIFY = "notify", _("通知")
    REASSIGN = "reassign", _("改派给服务经理")
    RAISE_PRIORITY = "raise_priority", _("提高优先级")


class EscalationStep(models.Model):
    """A rung of the ladder: at `percent` % of the target plus `extra_minutes` working minutes."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="steps", verbose_name=_("策略"))
    metric = models.CharField(_("指标"), max_length=20, choices=Metric.choices)
    percent = models.PositiveSmallIntegerField(_("目标百分比"))
    extra_minutes = models.PositiveIntegerField(_("超时后追加（工作分钟）"), default=0)
    notify = models.JSONField(_("通知对象"), default=list, blank=True,
                              help_text=_("assignee、team_lead、service_manager 中的若干项。"))
    action = models.CharField(_("动作"), max_length=20, choices=EscalationAction.choices, default=EscalationAction.NOTIFY)

    class Meta:
        verbose_name = _("升级步骤")
        verbose_name_plural = _("升级步骤")
        ordering = ["policy", "metric", "percent", "extra_minutes"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "percent", "extra_minutes"], name="sla_step_unique"),
        ]

    def __str__(self) -> str:
        extra = f" +{self.extra_minutes}min" if self.extra_minutes else ""
        return f"{self.metric} {self.percent}%{extra}"


class ClockState(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    STOPPED = "stopped", _("已停止")


class Clock(models.Model):
    """One SLA clock per request and metric; its history is ClockEvent, the rest here is derived state.

    consumed_seconds: working seconds counted before running_since (pauses excluded), so a new target
    or calendar recomputes due_at from the log without losing paused time.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks", verbose_name=_("服务请求"))
    metric = models.CharField(_("指标"), max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("策略"))
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("工作日历"))
    target_minutes = models.PositiveIntegerField(_("时限（工作分钟）"))
    state = models.CharField(_("状态"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    started_at = models.DateTimeField(_("开始"))
    running_since = models.DateTimeField(null=True, blank=True)
    consumed_seconds = models.BigIntegerField(default=0)
    due_at = models.DateTimeField(_("到期"), null=True, blank=True)
    next_step_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("停止"), null=True, blank=True)
    met = models.BooleanField(_("达成"), null=True)

    class Meta:
        verbose_name = _("SLA 计时")
        verbose_name_plural = _("SLA 计时")
        constraints = [models.UniqueConstraint(fields=["ticket", "metric"], name="sla_clock_ticket_metric_unique")]
        indexes = [
            # breach detection reads only running, not yet breached clocks, in due order
            models.Index(fields=["due_at"], name="sla_clock_due_idx",
                         condition=models.Q(state="running", breached_at__isnull=True)),
            models.Index(fields=["next_step_at"], name="sla_clock_step_idx",
                         condition=models.Q(state="running", next_step_at__isnull=False)),
            models.Index(fields=["metric", "stopped_at"], name="sla_clock_report_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.metric}"


class ClockEvent(models.Model):
    """Append-only: started, paused, resumed, stopped, target_changed, breached."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20)
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["clock", "at", "id"]
        indexes = [models.Index(fields=["clock", "at", "id"], name="sla_clock_event_idx")]


class TicketCursor(models.Model):
    """The last ticket event applied to a ticket's clocks: events are applied once, in id order."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_event_id = models.BigIntegerField(default=0)


class EscalationFiring(models.Model):
    """A step that fired for a clock. The unique pair is the claim: a second worker's insert fails."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="firings")
    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="firings")
    fired_at = models.DateTimeField()
    due_moment = models.DateTimeField()
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clock", "step"], name="sla_firing_once")]
