"""Local stand-ins for the outside world of notices: an HTTP server (robots, SMS gateway) and an
SMTP server (aiosmtpd), both on free ports of this machine, started and stopped by the tests."""
from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

OK_BODY = json.dumps({"errcode": 0, "errmsg": "ok"})


def free_port() -> int:
    """A port nothing listens on (bound, then released): a dead endpoint."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    content_type: str

    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeHttp:
    """Answers scripted replies in order (then 200 ``{"errcode": 0}``) and records every request."""

    server: ThreadingHTTPServer
    replies: list[tuple[int, str]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def http_server():
    state: dict[str, FakeHttp] = {}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            fake = state["fake"]
            length = int(self.headers.get("Content-Length") or 0)
            parts = urllib.parse.urlsplit(self.path)
            fake.seen.append(Seen(self.command, parts.path, urllib.parse.parse_qs(parts.query), self.rfile.read(length),
                                  self.headers.get("Content-Type", "")))
            status, body = fake.replies.pop(0) if fake.replies else (200, OK_BODY)
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_GET = _answer

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["fake"] = FakeHttp(server)
    # A short poll: shutdown() waits for the loop to look (the default 0.5 s was most of each test's teardown).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state["fake"]
    server.shutdown()
    server.server_close()
    thread.join(5)


class _Collect:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; settings point Django's SMTP backend at it."""
    from aiosmtpd.controller import Controller

    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()
