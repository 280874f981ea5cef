"""Every periodic schedule in one place. Only the worker started without --no-periodic runs them."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from weibao.core.heartbeat import heartbeat_record
from weibao.core.outbox import outbox_sweep
from weibao.mail.tasks import mailbox_poll_due
from weibao.notify.delivery import delivery_sweep
from weibao.sla.escalation import sla_sweep
from weibao.tickets.services_work import ticket_auto_close_due


@db_periodic_task(crontab(minute="*"))
def heartbeat_task() -> None:
    heartbeat_record()


@db_periodic_task(crontab(minute="*"))
def outbox_sweep_task() -> None:
    outbox_sweep()


@db_periodic_task(crontab(minute="*"))
def delivery_sweep_task() -> None:
    delivery_sweep()


@db_periodic_task(crontab(day="1", hour="1", minute="30"))  # 09:30 Beijing time on the 1st (crontab is UTC)
def faq_digest_task() -> None:
    from weibao.knowledge.faq_services import faq_digest_send

    faq_digest_send()


@db_periodic_task(crontab(minute="*"))
def sla_sweep_task() -> None:
    sla_sweep()


@db_periodic_task(crontab(minute="*"))
def monitoring_probes_task() -> None:
    from huey.contrib.djhuey import lock_task
    from huey.exceptions import TaskLockedException

    from weibao.monitoring.probing import probes_run_due

    # one probe runner at a time: a long round must not overlap the next minute's
    try:
        with lock_task("monitoring-probes"):
            probes_run_due()
    except TaskLockedException:
        return


@db_periodic_task(crontab(minute="*"))
def monitoring_escalations_task() -> None:
    from weibao.monitoring.sweeps import monitoring_sweep

    monitoring_sweep()


@db_periodic_task(crontab(minute="*"))
def mail_poll_task() -> None:
    mailbox_poll_due()


@db_periodic_task(crontab(minute="7"))
def ticket_auto_close_task() -> None:
    ticket_auto_close_due()


@db_periodic_task(crontab(minute="23"))
def search_word_counts_task() -> None:
    from weibao.search.index import refresh_word_counts

    refresh_word_counts()
