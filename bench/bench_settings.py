"""Settings for benchmarks: the product's, plus a bare JSON view as the throughput ceiling."""

from weibao.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
ALLOWED_HOSTS = ["*"]
