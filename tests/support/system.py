"""The three services in the test process, stepped by hand: relay, consume, dispatch."""

from __future__ import annotations

from coaching.registry import SERVICES
from shared.config import Settings
from shared.messaging.connection import broker_connection
from shared.messaging.consumer import drain
from shared.messaging.topology import Topology


class InProcessSystem:
    def __init__(self, settings: Settings, runtimes: dict):
        self.settings = settings
        self.runtimes = runtimes
        self.apps = {name: runtime.create_app() for name, runtime in runtimes.items()}
        self.relays = {name: runtime.relay() for name, runtime in runtimes.items()}
        self.processors = {name: runtime.inbox_processor() for name, runtime in runtimes.items()}
        from services.notifications.channels import channels_from_settings
        from services.notifications.dispatcher import Dispatcher

        self.dispatcher = Dispatcher(runtimes["notifications"], channels_from_settings(settings))

    @classmethod
    def start(cls, settings: Settings) -> InProcessSystem:
        from coaching.registry import service

        runtimes = {}
        for name in SERVICES:
            runtime = service(name).build_runtime(settings)
            runtime.migrate()
            runtimes[name] = runtime
        with broker_connection(settings) as connection:
            Topology(settings).declare(connection)
        return cls(settings, runtimes)

    def relay(self) -> int:
        return sum(relay.run_once() for relay in self.relays.values())

    def consume(self, service: str | None = None, idle_seconds: float = 0.05) -> int:
        """Handle every message waiting in the services' queues; return how many.

        A queue the broker counts nothing ready in is left alone; another is drained until
        it has been idle for ``idle_seconds`` and the broker counts nothing left, so a slow
        delivery is waited for rather than missed, and an empty queue costs no idle wait.
        Everything here publishes with the broker's confirm (the relays, the tests' own
        publishers), so a message is counted by the time it is looked for."""
        names = [service] if service else list(SERVICES)
        return sum(self._consume(name, idle_seconds) for name in names)

    def _consume(self, service: str, idle_seconds: float) -> int:
        handled = fruitless = 0
        while self._waiting(service):
            drained = drain(self.settings, self.processors[service], idle_seconds)
            handled += drained
            fruitless = 0 if drained else fruitless + 1
            if fruitless > 100:
                raise AssertionError(f"messages wait in {service}'s queue and none is delivered")
        return handled

    def _waiting(self, service: str) -> int:
        """Messages ready in ``service``'s queue, by the broker's count."""
        with broker_connection(self.settings) as connection:
            queue = Topology(self.settings).queue(service)(connection.default_channel)
            return queue.queue_declare().message_count

    def settle(self, max_rounds: int = 20) -> None:
        """Relay, consume and dispatch until nothing moves."""
        for _ in range(max_rounds):
            moved = self.relay() + self.consume() + self.dispatcher.run_once()
            if not moved:
                return
        raise AssertionError("the system did not settle")

    def close(self) -> None:
        self.dispatcher.close()
        for relay in self.relays.values():
            relay.close()
        for runtime in self.runtimes.values():
            runtime.engine.dispose()
