"""`weibao check` line: every team chat robot address must be one apprise understands."""

from __future__ import annotations

from weibao.accounts.models import Team
from weibao.core.checks import register_check
from weibao.core.health import CheckResult, Level
from weibao.notify.channels.chat import chat_url_valid


@register_check
def check_chat_robots() -> CheckResult:
    bad = [name for name, url in Team.objects.exclude(chat_webhook="").values_list("name", "chat_webhook")
           if not chat_url_valid(url)]
    if bad:
        return CheckResult("chat robots", Level.FAIL, "invalid apprise URL for team(s): " + ", ".join(bad))
    return CheckResult("chat robots", Level.OK, "every team chat robot address is valid")
