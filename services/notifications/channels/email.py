"""Email over SMTP (``SMTP_URL``: smtp://, smtps://, ``?starttls=true``, credentials)."""

from __future__ import annotations

import re
import smtplib
import uuid
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlparse

from services.notifications.channels.base import (
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)

SMTP_TIMEOUT_SECONDS = 15
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    use_ssl: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        query = parse_qs(parsed.query)
        use_ssl = parsed.scheme == "smtps"
        return cls(
            host=parsed.hostname or "localhost",
            port=parsed.port or (465 if use_ssl else 25),
            use_ssl=use_ssl,
            starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
        )


# Bodies go as quoted-printable: readable in the raw message, safe for any text.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
SMTP_LINE_LIMIT = 998


class _AsciiAsIs(Compat32):
    """``compat32``, except that a plain ASCII header that fits on one line is written as
    it is. The stock policy re-parses every header to fold it, a large part of the cost
    of each message; a long List-Unsubscribe URL also stays on its header's line."""

    def fold_binary(self, name: str, value) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            and len(name) + len(value) + 2 <= SMTP_LINE_LIMIT
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


FILE_POLICY = _AsciiAsIs(max_line_length=SMTP_LINE_LIMIT)
# SMTP wants CRLF line ends; smtplib leaves a bytes message's line ends as they are.
WIRE_POLICY = FILE_POLICY.clone(linesep="\r\n")


def build_email(message: OutgoingMessage, sender: str) -> Message:
    """The MIME message: plain text, with an HTML alternative when there is one.

    Built with the ``email.mime`` classes: the ``EmailMessage`` API gives the same
    message but costs about 1 ms more per nudge in header parsing and refolding, which
    was most of a dispatcher's time. Non-ASCII headers are encoded (RFC 2047) here.
    """
    plain = MIMEText(message.text, "plain", _UTF8_QP)
    if message.html:
        # A random boundary of our own: the default one is checked against the body with
        # a freshly compiled regular expression per message.
        email: Message = MIMEMultipart("alternative", boundary=f"=_{uuid.uuid4().hex}")
        email.attach(plain)
        email.attach(MIMEText(message.html, "html", _UTF8_QP))
    else:
        email = plain
    email["From"] = sender_header(sender, message.sender_name)
    email["To"] = _address_header(message.to)
    email["Subject"] = _text_header(message.subject or "")
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(usegmt=True)
    for name, value in message.headers.items():
        email[name] = _text_header(value)
    return email


def _text_header(value: str) -> str | Header:
    # The API refuses line breaks in names and subjects; text stored before it did must
    # still not break the header (or forge another).
    value = _CONTROL_CHARACTERS.sub(" ", value)
    return value if value.isascii() else Header(value, "utf-8")


def sender_header(sender: str, display_name: str | None) -> str | Header:
    """The ``From`` header: the configured address (``EMAIL_FROM``), shown as
    ``display_name`` when there is one. ``formataddr`` quotes a name with commas or
    quotes and encodes one that is not ASCII (RFC 2047); whitespace, line breaks
    included, is first folded to single spaces, so a name can never start a header."""
    name = " ".join((display_name or "").split())
    if not name:
        return _address_header(sender)
    address = bare_address(sender)
    if name.isascii() and "=?" not in name:
        return formataddr((name, address))
    # Encoded words of at most 75 characters each, folded (RFC 2047); a name that only
    # looks like one is encoded too, so it reads back as written.
    header = Header(name, "utf-8", header_name="From")
    header.append(f"<{address}>", "us-ascii")
    return header


def _address_header(value: str) -> str:
    if value.isascii():
        return value
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if address else value


def bare_address(value: str) -> str:
    """``a@b.example`` from ``Name <a@b.example>`` (or from ``a@b.example`` itself)."""
    if "<" not in value:
        return value.strip()
    return parseaddr(value)[1] or value


class SmtpEmailChannel:
    """Keeps one SMTP session open across sends; a dropped session is opened again."""

    name = "email"

    def __init__(self, settings: SmtpSettings, sender: str):
        self.settings = settings
        self.sender = sender
        self._envelope_from = bare_address(sender)
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_ssl:
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS)
            if s.starttls:
                client.starttls()
        if s.username:
            client.login(s.username, s.password or "")
        return client

    def send(self, message: OutgoingMessage) -> str:
        email = build_email(message, self.sender).as_bytes(policy=WIRE_POLICY)
        try:
            self._send(bare_address(message.to), email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            raise _classify(code, reason) from exc
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TransientDeliveryError(f"SMTP unavailable: {type(exc).__name__}") from exc
        return message.message_id

    def _send(self, to: str, email: bytes) -> None:
        reused = self._client is not None
        if self._client is None:
            self._client = self._connect()
        try:
            self._client.sendmail(self._envelope_from, [to], email)
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            self._client = self._connect()  # the idle session was dropped: once more
            self._client.sendmail(self._envelope_from, [to], email)
        except smtplib.SMTPResponseException:
            self._reset()
            raise

    def _reset(self) -> None:
        try:
            if self._client is not None:
                self._client.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def _classify(code: int, reason: bytes | str) -> Exception:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    # Servers often echo the address; the reason is stored, published and shown.
    text = _ADDRESS.sub("<address>", text)[:300]
    if 400 <= code < 500:
        # 421 (closing, often "too many messages") and 452 (too many, try later) ask us to
        # slow down; other 4xx (451) are the message's own trouble and count as attempts.
        return TransientDeliveryError(f"SMTP {code}: {text}", throttled=code in (421, 452))
    return PermanentDeliveryError(f"SMTP {code}: {text}", bounce=code in (550, 551, 553))
