"""The whole broker topology, declared from this one module by every process at start.

- one durable topic exchange for events (routing key = event type);
- one durable direct exchange addressing a queue by its name, used for the consumer
  runner's own retries, dead letters and operator replays;
- per service: ``<service>.events`` bound to the event types its handler table handles
  (``settings.subscriptions``, from the composition root), and ``<service>.dead`` for
  messages that can never be processed.
"""

from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

from shared.config import Settings

# RabbitMQ's own dead-lettering is a second line of defence behind the runner's.
QUORUM_DELIVERY_LIMIT = 20


class Topology:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.events = Exchange(settings.exchange_name, type="topic", durable=True)
        self.direct = Exchange(f"{settings.exchange_name}.direct", type="direct", durable=True)

    @staticmethod
    def queue_name(service: str) -> str:
        return f"{service}.events"

    @staticmethod
    def dead_letter_queue_name(service: str) -> str:
        return f"{service}.dead"

    def _arguments(self, service: str) -> dict:
        arguments = {
            "x-dead-letter-exchange": self.direct.name,
            "x-dead-letter-routing-key": self.dead_letter_queue_name(service),
        }
        if self.settings.queue_type == "quorum":
            arguments |= {"x-queue-type": "quorum", "x-delivery-limit": QUORUM_DELIVERY_LIMIT}
        return arguments

    def queue(self, service: str) -> Queue:
        name = self.queue_name(service)
        bindings = [
            binding(self.events, routing_key=key)
            for key in sorted(self.settings.subscriptions.get(service, ()))
        ]
        bindings.append(binding(self.direct, routing_key=name))
        return Queue(
            name,
            bindings=bindings,
            durable=True,
            queue_arguments=self._arguments(service),
        )

    def dead_letter_queue(self, service: str) -> Queue:
        name = self.dead_letter_queue_name(service)
        arguments = {"x-queue-type": "quorum"} if self.settings.queue_type == "quorum" else {}
        return Queue(
            name,
            exchange=self.direct,
            routing_key=name,
            durable=True,
            queue_arguments=arguments,
        )

    def all_queues(self) -> list[Queue]:
        queues = []
        for service in self.settings.services:
            queues += [self.queue(service), self.dead_letter_queue(service)]
        return queues

    def declare(self, connection: Connection) -> None:
        """Declare every exchange, queue and binding (idempotent)."""
        channel = connection.default_channel
        self.events(channel).declare()
        self.direct(channel).declare()
        for queue in self.all_queues():
            queue(channel).declare()
