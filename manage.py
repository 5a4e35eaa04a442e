#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


# Static checks read code, not secrets: ``check`` and ``makemigrations`` may run on a bare
# checkout (CI hooks, a developer's shell) with a throwaway key and host. ``check --deploy``
# is different: it judges the real production settings, so it gets nothing injected and
# fails like the site would (config/settings.py refuses a missing or weak SECRET_KEY and a
# missing ALLOWED_HOSTS). Everything that serves, signs or touches data refuses too.
STATIC_CHECK_COMMANDS = {"check", "makemigrations"}


def static_check_defaults(argv: list[str]) -> dict[str, str]:
    """The throwaway settings a static check of ``argv`` may use (empty for any other command)."""
    command = argv[1] if len(argv) > 1 else ""
    if command not in STATIC_CHECK_COMMANDS or "--deploy" in argv:
        return {}
    return {"SECRET_KEY": "static-check-" + os.urandom(32).hex(), "ALLOWED_HOSTS": "localhost"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    for name, value in static_check_defaults(sys.argv).items():
        if not os.environ.get(name):
            os.environ[name] = value
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
