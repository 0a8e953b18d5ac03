"""The embedded transport never shows a reader a half-written message."""

from __future__ import annotations

from kombu import Exchange, Queue

from coaching.registry import load_settings
from shared.messaging import embedded
from shared.messaging.connection import broker_connection


def test_filesystem_urls_use_the_atomic_transport_and_messages_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("BROKER_URL", raising=False)
    settings = load_settings()
    with broker_connection(settings) as connection:
        assert isinstance(connection.transport, embedded.Transport)
        queue = Queue("probe.events", Exchange("probe", type="direct"), routing_key="probe")
        channel = connection.default_channel
        queue(channel).declare()
        connection.Producer(channel).publish({"n": 1}, exchange="probe", routing_key="probe")
        folder = tmp_path / "bus" / "queues"
        names = [p.name for p in folder.iterdir()]
        assert len(names) == 1 and names[0].endswith(".probe.events.msg")  # no .part left
        message = queue(channel).get(no_ack=True)
        assert message.payload == {"n": 1}
