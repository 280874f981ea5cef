"""Imports every module that defines Huey tasks, so a worker knows them all."""

import weibao.config.schedules  # noqa: F401
import weibao.core.tasks  # noqa: F401
