"""Imports every module that defines Huey tasks, so a worker knows them all."""

import weibao.config.schedules
import weibao.core.tasks  # noqa: F401
