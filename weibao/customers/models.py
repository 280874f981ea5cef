"""Contracts, the customer's deployed systems, and the prepaid-hours ledger."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import Organisation, Team
from weibao.core.models import PublicIdModel


class ServiceLevel(models.TextChoices):
    BASIC = "basic", _("基础")
    STANDARD = "standard", _("标准")
    PREMIUM = "premium", _("高级")


class Contract(PublicIdModel):
    number = models.CharField(_("合同编号"), max_length=60, unique=True)
    title = models.CharField(_("合同名称"), max_length=200)
    organisation = models.ForeignKey(Organisation, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="contracts")
    start_date = models.DateField(_("合同开始"))
    end_date = models.DateField(_("合同结束"))
    warranty_end = models.DateField(_("质保期截止"), null=True, blank=True)
    free_maintenance_end = models.DateField(_("免费维护期截止"), null=True, blank=True, help_text=_("通常为合同期满后再加三年"))
    free_upgrade_end = models.DateField(_("免费升级期截止"), null=True, blank=True, help_text=_("配套软件免费升级，通常一年"))
    service_level = models.CharField(_("服务级别"), max_length=20, choices=ServiceLevel.choices, default=ServiceLevel.STANDARD)
    prepaid_hours = models.DecimalField(_("预付服务工时"), max_digits=8, decimal_places=2, default=Decimal("0"))
    hourly_rate = models.DecimalField(_("工时单价（元）"), max_digits=10, decimal_places=2, default=Decimal("0"))
    onsite_day_rate = models.DecimalField(_("现场服务日费（元）"), max_digits=10, decimal_places=2, default=Decimal("0"))
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-start_date", "number"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="contract_term_ordered"),
            models.CheckConstraint(condition=models.Q(prepaid_hours__gte=0), name="contract_prepaid_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class LifecycleStage(models.TextChoices):
    DEVELOPMENT = "development", _("开发")
    DEPLOYMENT = "deployment", _("部署")
    OPERATION = "operation", _("运行")
    RETIRED = "retired", _("退役")


class System(PublicIdModel):
    organisation = models.ForeignKey(Organisation, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="systems")
    name = models.CharField(_("系统名称"), max_length=200)
    code = models.SlugField(_("代码"), max_length=60)
    version = models.CharField(_("版本"), max_length=60, blank=True)
    description = models.TextField(_("说明"), blank=True)
    contracts = models.ManyToManyField(Contract, verbose_name=_("合同"), blank=True, related_name="systems")
    responsible_team = models.ForeignKey(Team, verbose_name=_("负责团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="systems")
    stage = models.CharField(_("生命周期阶段"), max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.OPERATION)
    development_started_on = models.DateField(_("开发开始"), null=True, blank=True)
    deployed_on = models.DateField(_("部署日期"), null=True, blank=True)
    operation_started_on = models.DateField(_("上线运行"), null=True, blank=True)
    retired_on = models.DateField(_("退役日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("系统")
        verbose_name_plural = _("系统")
        ordering = ["organisation", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="system_code_per_org")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class Environment(models.Model):
    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="environments")
    name = models.CharField(_("环境"), max_length=60, help_text=_("如 生产、测试、灾备"))
    url = models.CharField(_("访问地址"), max_length=300, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("环境")
        verbose_name_plural = _("环境")
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="environment_name_per_system")]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(_("组件"), max_length=100)
    version = models.CharField(_("版本"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("组件")
        verbose_name_plural = _("组件")
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="component_name_per_system")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class PrepaidHoursEntry(models.Model):
    """The prepaid-hours ledger: the contract's grant minus every drawdown; the balance is the sum."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="prepaid_entries")
    hours = models.DecimalField(_("工时"), max_digits=8, decimal_places=2, help_text=_("扣减为负数"))
    reason = models.CharField(_("事由"), max_length=200)
    reference = models.CharField(_("来源"), max_length=100, blank=True, help_text=_("例如产生这笔扣减的工时记录"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预付工时流水")
        verbose_name_plural = _("预付工时流水")
        constraints = [
            models.UniqueConstraint(fields=["reference"], condition=~models.Q(reference=""), name="prepaid_reference_unique")
        ]
