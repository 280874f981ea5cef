"""The monitoring app's once-a-minute work, in one place so the schedule module names a single entry point."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def monitoring_sweep() -> None:
    """Recover incidents whose alarms held their recovery, escalate unacknowledged pages, replay stored deliveries that were not applied, run due inspections, prune old probe history.

    Each step is independent: one failing is logged and does not stop the others."""
    from weibao.monitoring.incidents import recoveries_run_due
    from weibao.monitoring.inspections import inspections_run_due
    from weibao.monitoring.intake import deliveries_replay_failed
    from weibao.monitoring.paging import escalations_run
    from weibao.monitoring.probing import probe_results_prune

    for step in (recoveries_run_due, escalations_run, deliveries_replay_failed, inspections_run_due, probe_results_prune):
        try:
            step()
        except Exception:
            log.exception("monitoring sweep step %s failed", step.__name__)
