"""People, organisations, teams, API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from weibao.core.models import PublicIdModel, TimeStamped


class Role(models.TextChoices):
    CUSTOMER = "customer", _("客户用户")
    CUSTOMER_ADMIN = "customer_admin", _("客户管理员")
    ENGINEER = "engineer", _("技术工程师")
    MANAGER = "manager", _("服务管理人员")
    ADMIN = "admin", _("系统管理员")


STAFF_ROLES = frozenset({Role.ENGINEER, Role.MANAGER, Role.ADMIN})
CUSTOMER_ROLES = frozenset({Role.CUSTOMER, Role.CUSTOMER_ADMIN})


class OrganisationKind(models.TextChoices):
    VENDOR = "vendor", _("服务商")
    CUSTOMER = "customer", _("客户")


class Organisation(PublicIdModel):
    kind = models.CharField(_("类型"), max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.CUSTOMER)
    name = models.CharField(_("名称"), max_length=200, unique=True)
    short_name = models.CharField(_("简称"), max_length=60, blank=True)
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    email_domains = models.CharField(
        _("邮件域名"), max_length=500, blank=True, help_text=_("逗号分隔，例如 example.com, example.cn")
    )
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    auto_close_working_days = models.PositiveSmallIntegerField(_("自动关闭工作日数"), default=5)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def domains(self) -> list[str]:
        return [d.strip().lower() for d in self.email_domains.split(",") if d.strip()]


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("所属组织"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    language = models.CharField(_("语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    timezone = models.CharField(_("时区"), max_length=60, default=settings.TIME_ZONE)
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_enabled = models.BooleanField(_("已启用两步验证"), default=False)
    # The last accepted TOTP time step: a code is good once, never replayed inside its window.
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)
    mfa_required = models.BooleanField(_("要求两步验证"), default=False)

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="user_email_ci_unique", condition=~models.Q(email="")
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role in CUSTOMER_ROLES

    def save(self, *args: object, **kwargs: object) -> None:
        # Django admin access follows the role, so there is one place that grants it.
        self.is_staff = self.role in (Role.MANAGER, Role.ADMIN)
        if self.role == Role.ADMIN:
            self.is_superuser = True
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Team(TimeStamped):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    lead = models.ForeignKey(User, verbose_name=_("组长"), null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams")
    members = models.ManyToManyField(User, through="TeamMembership", related_name="teams", verbose_name=_("成员"))
    chat_webhook = models.CharField(_("群机器人地址"), max_length=500, blank=True, help_text=_("apprise URL：钉钉、企业微信或飞书群机器人"))

    class Meta:
        verbose_name = _("团队")
        verbose_name_plural = _("团队")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    on_duty = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]


class Contact(PublicIdModel):
    organisation = models.ForeignKey(Organisation, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("电话"), max_length=40, blank=True, db_index=True)
    email = models.EmailField(_("邮箱"), blank=True)
    position = models.CharField(_("职务"), max_length=100, blank=True)
    user = models.OneToOneField(User, verbose_name=_("登录账户"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contact")
    language = models.CharField(_("语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["organisation", "name"]
        indexes = [models.Index(Lower("email"), name="contact_email_ci_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class TokenScope(models.TextChoices):
    READ = "read", _("只读")
    WRITE = "write", _("读写")


class ApiToken(PublicIdModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("权限"), max_length=10, choices=TokenScope.choices, default=TokenScope.READ)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginAttempt(models.Model):
    """Failed sign-ins, kept in the database so throttling holds across processes and machines."""

    username = models.CharField(max_length=254)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()
    # "login" for failed sign-ins, "reset" for password-reset requests: separate budgets.
    kind = models.CharField(max_length=10, default="login")

    class Meta:
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["ip", "at"])]
