"""Operator tools for dead letters: list, show and replay what a service parked.

``list`` and ``show`` read without acknowledging (the messages stay parked); ``replay``
sends a message back to the service's queue with a fresh attempt count, then removes it
from the dead-letter queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kombu import Connection, Producer

from shared.config import Settings
from shared.messaging.connection import broker_connection, ensure_connected
from shared.messaging.topology import Topology


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    routing_key: str | None
    reason: str | None
    attempts: int | None
    dead_lettered_at: str | None
    body: bytes

    def summary(self) -> dict:
        return {
            "message_id": self.message_id,
            "reason": self.reason,
            "attempts": self.attempts,
            "dead_lettered_at": self.dead_lettered_at,
        }


def _letter(message) -> DeadLetter:
    headers = message.headers or {}
    return DeadLetter(
        message_id=message.properties.get("message_id") or "",
        routing_key=message.delivery_info.get("routing_key"),
        reason=headers.get("x-death-reason"),
        attempts=headers.get("x-attempt"),
        dead_lettered_at=headers.get("x-dead-lettered-at"),
        body=message.body if isinstance(message.body, bytes) else str(message.body).encode(),
    )


def peek(settings: Settings, service: str, limit: int = 1000) -> list[DeadLetter]:
    """Every parked message of ``service`` (up to ``limit``), left in place."""
    letters = []
    with ensure_connected(broker_connection(settings), max_retries=3) as connection:
        channel = connection.channel()
        queue = Topology(settings).dead_letter_queue(service)(channel)
        queue.declare()
        while len(letters) < limit:
            message = queue.get(no_ack=False, accept=["json"])
            if message is None:
                break
            letters.append(_letter(message))
        # Closing the channel without acks returns every message to the queue.
        channel.close()
    return letters


def replay(settings: Settings, service: str, message_id: str | None) -> int:
    """Send parked messages (one, or all if ``message_id`` is None) back to the service."""
    topology = Topology(settings)
    replayed = 0
    with ensure_connected(
        broker_connection(settings, confirm_publish=True), max_retries=3
    ) as connection:
        channel = connection.channel()
        queue = topology.dead_letter_queue(service)(channel)
        queue.declare()
        producer = Producer(connection.channel())
        kept = []
        while True:
            message = queue.get(no_ack=False, accept=["json"])
            if message is None:
                break
            letter = _letter(message)
            if message_id and letter.message_id != message_id:
                kept.append(message)
                continue
            _republish(producer, topology, service, message, letter)
            message.ack()
            replayed += 1
        channel.close()  # returns the ones not replayed
    return replayed


def _republish(producer: Producer, topology: Topology, service: str, message, letter) -> None:
    headers = {
        k: v for k, v in (message.headers or {}).items() if not k.startswith(("x-death", "x-dead"))
    }
    headers |= {"x-attempt": 1, "x-replayed": True}
    producer.publish(
        letter.body,
        exchange=topology.direct,
        routing_key=topology.queue_name(service),
        content_type="application/json",
        content_encoding="utf-8",
        headers=headers,
        message_id=letter.message_id or None,
        delivery_mode=2,
        mandatory=True,
        retry=False,
    )


def run_command(
    settings: Settings, action: str, service: str, message_id: str | None, everything: bool
) -> int:
    if action == "list":
        for letter in peek(settings, service):
            print(json.dumps(letter.summary()))
        return 0
    if action == "show":
        letters = [
            x for x in peek(settings, service) if not message_id or x.message_id == message_id
        ]
        for letter in letters:
            print(
                json.dumps(
                    letter.summary() | {"body": letter.body.decode(errors="replace")}, indent=2
                )
            )
        return 0 if letters else 1
    if not message_id and not everything:
        print("replay needs --id MESSAGE_ID or --all")
        return 2
    count = replay(settings, service, None if everything else message_id)
    print(f"replayed {count} message(s) to {Topology.queue_name(service)}")
    return 0 if count else 1


__all__ = ["Connection", "DeadLetter", "peek", "replay", "run_command"]
