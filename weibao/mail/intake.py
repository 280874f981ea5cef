"""What a processed message does to requests: machine mail is recorded, human mail threads or opens one."""

from __future__ import annotations

from weibao.mail.models import InboundMessage, Outcome
from weibao.mail.parsing import ParsedMail


def machine_mail(*, inbound: InboundMessage, parsed: ParsedMail) -> str:
    """Machine mail never opens or reopens a request."""
    return Outcome.MACHINE


def human_mail(*, inbound: InboundMessage, parsed: ParsedMail, quarantine: type[Exception]) -> str:
    raise quarantine("请求模块尚未启用，邮件已保存，启用后可重新处理")
