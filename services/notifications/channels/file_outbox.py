"""The embedded default: messages written to files under ``var/outbox/`` and logged.

A file's name starts with the id of the client it concerns (``<client>.<nudge>.eml``,
``.sms.txt``), so erasing a client removes their messages too (:func:`forget_client`).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from services.notifications.channels.base import OutgoingMessage
from services.notifications.channels.email import FILE_POLICY, email_bytes

log = logging.getLogger(__name__)


def outbox_folder(var_dir: Path) -> Path:
    """Where the embedded channels write messages."""
    return var_dir / "outbox"


class FileOutboxChannel:
    def __init__(self, name: str, folder: Path, sender: str):
        self.name = name
        self.folder = folder
        self.sender = sender
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: OutgoingMessage) -> str:
        safe_id = message.message_id.strip("<>").replace("@", "_").replace("/", "_")
        if message.client_id:
            safe_id = f"{uuid.UUID(message.client_id)}.{safe_id}"
        if self.name == "email":
            path = self.folder / f"{safe_id}.eml"
            path.write_bytes(email_bytes(message, self.sender, FILE_POLICY))
        else:
            path = self.folder / f"{safe_id}.sms.txt"
            path.write_text(f"To: {message.to}\n\n{message.text}\n")
        # The path names the client and the nudge only; the address and text stay inside.
        log.info(
            "message written to the local outbox", extra={"channel": self.name, "file": path.name}
        )
        return path.name


def forget_client(folder: Path, client_id: uuid.UUID | str) -> int:
    """Delete every message about ``client_id`` from the local outbox; return how many."""
    removed = 0
    for path in folder.glob(f"{uuid.UUID(str(client_id))}.*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
