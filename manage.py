#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


# Static checks read code, not secrets: they may run on a bare checkout (CI hooks, a
# developer's shell) with a throwaway key. Everything that serves, signs or touches data
# still refuses to start without SECRET_KEY (config/settings.py).
STATIC_CHECK_COMMANDS = {"check", "makemigrations"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in STATIC_CHECK_COMMANDS and not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "static-check-" + os.urandom(32).hex()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
