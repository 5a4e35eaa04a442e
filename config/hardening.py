"""Start-up checks of the production settings (pure functions, no Django app imports).

``config/settings.py`` calls :func:`production_problems` when ``DEBUG`` is off and
refuses to start with the Chinese messages it returns (``ImproperlyConfigured``).
"""
from __future__ import annotations

# Keys that are published in this repository and so are never secret.
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
KNOWN_PUBLIC_KEYS = frozenset({DEV_SECRET_KEY})
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` must not sign production sessions, or None when it is acceptable.

    The thresholds are Django's own (``security.W009``): at least 50 characters and
    at least 5 different ones; the keys that ship with the code are refused too.
    """
    if not key:
        return "SECRET_KEY 未设置：生产环境必须通过环境变量 SECRET_KEY 提供密钥（开发时可设置 DEBUG=1）。"
    if key in KNOWN_PUBLIC_KEYS or key.startswith("django-insecure"):
        return "SECRET_KEY 是公开的开发密钥，不能用于生产环境，请生成新的随机密钥。"
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE:
        return (
            f"SECRET_KEY 太弱：至少需要 {SECRET_KEY_MIN_LENGTH} 个字符、{SECRET_KEY_MIN_UNIQUE} 种不同字符。"
            '可用 python3 -c "import secrets; print(secrets.token_urlsafe(50))" 生成。'
        )
    return None


def allowed_hosts_problem(hosts: list[str]) -> str | None:
    """Why the ``ALLOWED_HOSTS`` list cannot serve production, or None."""
    if not hosts:
        return "ALLOWED_HOSTS 未设置：生产环境必须在环境变量 ALLOWED_HOSTS 中列出网站的域名（逗号分隔）。"
    if "*" in hosts:
        return "ALLOWED_HOSTS 不能包含“*”：请列出网站实际使用的域名。"
    return None


def production_problems(*, secret_key: str, allowed_hosts: list[str]) -> list[str]:
    """Every reason the production settings must refuse to start (empty when they may)."""
    return [p for p in (secret_key_problem(secret_key), allowed_hosts_problem(allowed_hosts)) if p]
