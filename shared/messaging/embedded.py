"""The embedded transport: Kombu's ``filesystem://``, with atomic writes.

Kombu's filesystem channel creates a message file and then writes into it, while a
reader in another process may already move and read that file, getting an empty body
(and the message is lost). Here a message is written under a name no reader looks for
and renamed into place once complete; a rename is atomic within one folder.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".part"  # readers only take names ending in "<queue>.msg"
        with open(partial, "wb") as f:
            f.write(str_to_bytes(dumps(payload)))
        os.replace(partial, final)


class Transport(filesystem.Transport):
    Channel = Channel


def install() -> None:
    """Make ``filesystem://`` URLs use this transport in this process."""
    TRANSPORT_ALIASES["filesystem"] = "shared.messaging.embedded:Transport"
