"""A real SMTP server (aiosmtpd) in the test process, with scriptable replies."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import deque

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Keeps what it accepts as raw bytes; parsing waits until a test looks, so the sink
    costs the senders (and benchmarks sharing its CPU) as little as possible."""

    def __init__(self, reply_delay: float = 0.0):
        # Seconds to wait before answering a message, as a remote relay takes.
        self.reply_delay = reply_delay
        self.raw: list[bytes] = []
        self._parsed: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        # The client address of each accepted message's session, to tell senders apart.
        self.peers: list[tuple] = []
        # Replies to give before accepting, e.g. "451 4.3.0 try later".
        self.scripted_replies: deque[str] = deque()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        with self.lock:
            if self.scripted_replies:
                return self.scripted_replies.popleft()
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.peers.append(tuple(session.peer or ()))
            self.raw.append(envelope.content)
        return "250 OK"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            for content in self.raw[len(self._parsed) :]:
                self._parsed.append(email.message_from_bytes(content, policy=email.policy.default))
            return list(self._parsed)

    def count(self) -> int:
        with self.lock:
            return len(self.raw)


class SmtpSink:
    def __init__(self, reply_delay: float = 0.0):
        self.handler = RecordingHandler(reply_delay)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        return self.handler.messages

    def count(self) -> int:
        return self.handler.count()

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
