"""Settings for the Celery worker the integration tests start: the test settings, with the
media folder the test process uses (``config.test_settings`` makes a fresh temporary one)."""
import os
from pathlib import Path

from config.test_settings import *  # noqa: F401,F403

MEDIA_ROOT = Path(os.environ["MEDIA_ROOT"])
