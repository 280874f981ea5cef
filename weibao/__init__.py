"""Weibao (维保): after-sales service and operations-maintenance platform."""

__version__ = "0.1.0"
