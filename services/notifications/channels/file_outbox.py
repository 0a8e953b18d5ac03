"""The embedded default: messages written to files under ``var/outbox/`` and logged."""

from __future__ import annotations

import logging
from pathlib import Path

from services.notifications.channels.base import OutgoingMessage
from services.notifications.channels.email import FILE_POLICY, build_email

log = logging.getLogger(__name__)


class FileOutboxChannel:
    def __init__(self, name: str, folder: Path, sender: str):
        self.name = name
        self.folder = folder
        self.sender = sender
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: OutgoingMessage) -> str:
        safe_id = message.message_id.strip("<>").replace("@", "_").replace("/", "_")
        if self.name == "email":
            path = self.folder / f"{safe_id}.eml"
            path.write_bytes(build_email(message, self.sender).as_bytes(policy=FILE_POLICY))
        else:
            path = self.folder / f"{safe_id}.sms.txt"
            path.write_text(f"To: {message.to}\n\n{message.text}\n")
        # The path names the nudge only; the address and text stay in the file.
        log.info(
            "message written to the local outbox", extra={"channel": self.name, "file": path.name}
        )
        return path.name
