"""Imports every module that defines Huey tasks, so a worker knows them all."""

import weibao.config.schedules
import weibao.core.tasks
import weibao.mail.tasks
import weibao.notify.tasks  # noqa: F401
