import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Import every view module and build the URL reverse map now, not in each worker's first requests.
# Under README's `gunicorn --preload` this runs once in the master before it forks the workers
# (docs/benchmarks.md, "gunicorn cold start"). Nothing here opens a database or Redis connection:
# Django opens them lazily, per worker thread, after the fork (tests/test_wsgi_preload.py).
from django.urls import get_resolver  # noqa: E402

_resolver = get_resolver()
_resolver.url_patterns  # noqa: B018
_resolver.reverse_dict  # noqa: B018

# What is loaded by now lives as long as the process: gc.freeze() moves it out of the collector's sight, so
# a full collection scans what requests allocate, not the ~350,000 start-up objects (0.2-0.3 s each time,
# every few dozen requests; on the bench city 任务看板's third request in a fresh process took 165 ms against
# 35 ms, docs/benchmarks.md). Under --preload the workers inherit the frozen objects.
import gc  # noqa: E402

gc.freeze()
