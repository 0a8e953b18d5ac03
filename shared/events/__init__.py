"""Event envelope, payload schemas and the catalogue of every event type."""

from shared.events.catalogue import CATALOGUE, EventSpec
from shared.events.envelope import Envelope, Event, InvalidEvent, new_envelope, parse_envelope

__all__ = [
    "CATALOGUE",
    "Envelope",
    "Event",
    "EventSpec",
    "InvalidEvent",
    "new_envelope",
    "parse_envelope",
]
