"""Email over SMTP (``SMTP_URL``: smtp://, smtps://, ``?starttls=true``, credentials)."""

from __future__ import annotations

import functools
import quopri
import re
import smtplib
import uuid
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
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
    was most of a dispatcher's time. Non-ASCII headers are encoded (RFC 2047) here. The
    channels send :func:`email_bytes`, the same message written without the object.
    """
    plain = _text_part(_quoted_printable(message.text), "plain")
    if message.html:
        email: Message = MIMEMultipart("alternative", boundary=_boundary())
        email.attach(plain)
        email.attach(_text_part(_quoted_printable(message.html), "html"))
    else:
        email = plain
        email["MIME-Version"] = "1.0"
    for name, value in _headers(message, sender):
        email[name] = value
    return email


def email_bytes(message: OutgoingMessage, sender: str, policy: Compat32 = WIRE_POLICY) -> bytes:
    """``build_email(message, sender).as_bytes(policy=policy)``, byte for byte (a test
    holds them equal), written directly: the email package's generator walking the
    message cost as much again as building it. The headers are folded by ``policy``,
    as the generator folds them."""
    eol = policy.linesep
    if message.html:
        boundary = _boundary()
        top = [
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
            ("MIME-Version", "1.0"),
        ]
        body = (
            f"--{boundary}{eol}{_part_text(message.text, 'plain', eol)}"
            f"{eol}--{boundary}{eol}{_part_text(message.html, 'html', eol)}"
            f"{eol}--{boundary}--{eol}"
        )
    else:
        top = [*_TEXT_PART_HEADERS["plain"], ("MIME-Version", "1.0")]
        body = _quoted_printable(message.text).replace("\n", eol)
    headers = [policy.fold_binary(name, value) for name, value in top]
    headers += [policy.fold_binary(name, value) for name, value in _headers(message, sender)]
    return b"".join(headers) + eol.encode() + body.encode("ascii")


def _headers(message: OutgoingMessage, sender: str) -> list[tuple[str, str | Header]]:
    return [
        ("From", sender_header(sender, message.sender_name)),
        ("To", _address_header(message.to)),
        ("Subject", _text_header(message.subject or "")),
        ("Message-ID", message.message_id),
        ("Date", formatdate(usegmt=True)),
        *((name, _text_header(value)) for name, value in message.headers.items()),
    ]


def _boundary() -> str:
    # A random boundary of our own: the email package's is checked against the body with
    # a freshly compiled regular expression per message. "=_" never occurs in a
    # quoted-printable body, so no line of a part can be taken for the boundary.
    return f"=_{uuid.uuid4().hex}"


# Each part is UTF-8 text, quoted-printable: readable in the raw message, safe for any
# text. Its headers are written as they are: ``MIMEText`` with a QP charset encodes in
# pure Python and re-parses its Content-Type header for each parameter.
_TEXT_PART_HEADERS = {
    subtype: (
        ("Content-Type", f'text/{subtype}; charset="utf-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    )
    for subtype in ("plain", "html")
}


def _quoted_printable(text: str) -> str:
    """``text`` quoted-printable (by ``quopri``, in C), with LF line ends. A lone CR is a
    line break, as the email package takes it (``quopri`` would keep it raw)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return quopri.encodestring(lines.encode("utf-8")).decode("ascii")


def _text_part(encoded: str, subtype: str) -> Message:
    part = Message()
    for name, value in _TEXT_PART_HEADERS[subtype]:
        part[name] = value
    part.set_payload(encoded)
    return part


def _part_text(text: str, subtype: str, eol: str) -> str:
    headers = "".join(f"{name}: {value}{eol}" for name, value in _TEXT_PART_HEADERS[subtype])
    return headers + eol + _quoted_printable(text).replace("\n", eol)


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


@functools.lru_cache(maxsize=64)  # the configured sender's, for every message
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
        email = email_bytes(message, self.sender)
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
