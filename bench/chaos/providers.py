"""The providers the dispatcher talks to, able to misbehave on demand.

``FaultySmtp`` is the suite's aiosmtpd sink answering 4xx, 5xx or nothing at all (a
stall longer than the sender's timeout) while a fault is on; ``SmsProvider`` is a small
HTTP server in the style of the large SMS APIs (a form POST, 201 with a ``sid``) that
can answer 5xx or stall. What each accepts is kept, to count every delivery.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller

from tests.support.smtp import RecordingHandler, SmtpSink, free_port

STALL_SECONDS = 6.0  # longer than CHAOS_PROVIDER_TIMEOUT, so the sender gives up


class FaultyHandler(RecordingHandler):
    def __init__(self):
        super().__init__()
        self.mode = "ok"  # "ok", "4xx", "5xx" or "stall"
        self.refused: Counter[str] = Counter()  # recipients answered 5xx

    async def handle_DATA(self, server, session, envelope):
        mode = self.mode
        if mode == "4xx":
            return "451 4.3.0 mailbox busy, try again later"
        if mode == "5xx":
            with self.lock:
                for rcpt in envelope.rcpt_tos:
                    self.refused[rcpt.lower()] += 1
            return "554 5.7.1 message refused"
        if mode == "stall":
            await asyncio.sleep(STALL_SECONDS)
            # The sender gave up long ago: accepting now would be a delivery it never
            # heard of, which no real relay does after a dropped session.
            return "451 4.4.2 timeout"
        return await super().handle_DATA(server, session, envelope)

    def message_ids_by_recipient(self) -> dict[str, list[str]]:
        with self.lock:
            raw = list(self.raw)
            envelopes = list(self.envelopes)
        found: dict[str, list[str]] = {}
        for (_sender, rcpts), content in zip(envelopes, raw, strict=True):
            message = email.message_from_bytes(content, policy=email.policy.default)
            for rcpt in rcpts:
                found.setdefault(rcpt.lower(), []).append(str(message["Message-ID"]))
        return found


class FaultySmtp(SmtpSink):
    def __init__(self):
        super().__init__()
        self.handler = FaultyHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)


class SmsProvider:
    """``POST /messages`` with To, From, Body: 201 and a sid, unless a fault is on."""

    def __init__(self):
        self.mode = "ok"  # "ok", "5xx" or "stall"
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()  # accepted messages per number
        self.refused = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                mode = provider.mode
                if mode == "stall":
                    time.sleep(STALL_SECONDS)
                    self._answer(503, {"message": "too late"})
                    return
                if mode == "5xx":
                    with provider.lock:
                        provider.refused += 1
                    self._answer(503, {"message": "service unavailable"})
                    return
                with provider.lock:
                    provider.received[form.get("To", [""])[0]] += 1
                self._answer(201, {"sid": "SM" + uuid.uuid4().hex})

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the sender hung up (it timed out): nothing to tell it

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/messages"

    def start(self) -> SmsProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.received)
