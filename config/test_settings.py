"""Settings for the test suite: the real settings with a test secret and fast hashing."""
import os
import tempfile
import warnings

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
# DEBUG stays off in tests (production behaviour), so the start-up checks want hosts too.
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from .settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="chuangwen-test-media-"))  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="chuangwen-test-static-"))  # noqa: F405
WHITENOISE_AUTOREFRESH = True
# reports.score_cache: off in tests (tests/test_score_cache.py turns it on): the test process and an
# integration test's Celery worker do not share a cache, so one could not invalidate the other's.
SCORE_CACHE_SECONDS = 0
# Public pages: the CAPTCHA also accepts "PASSED" (a wrong answer is still refused, tests/test_public.py), and rate
# limits are off so counters kept in the process cache do not leak between tests (the rate-limit tests turn them on).
CAPTCHA_TEST_MODE = True
# …which the captcha package warns about at import (meant for production, where it must stay off).
warnings.filterwarnings("ignore", message="CAPTCHA_TEST_MODE is enabled", category=RuntimeWarning)
RATELIMIT_ENABLE = False
# materials: the archive renders its cover PDFs in this process (a forked cover process per archive would slow
# the tests; tests/test_materials.py runs the forked path where it sets this True).
MATERIALS_COVERS_IN_CHILD = False
