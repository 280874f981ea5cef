"""Settings for the test suite: the production module, with a private data dir and fast hashing."""

import os
import tempfile

os.environ.setdefault("WEIBAO_DATA_DIR", tempfile.mkdtemp(prefix="weibao-test-"))
os.environ.setdefault("WEIBAO_QUEUE_IMMEDIATE", "1")
os.environ.setdefault("WEIBAO_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")

from weibao.config.settings import *  # noqa: F403

# Argon2 costs ~50 ms a hash; the suite hashes thousands of passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
