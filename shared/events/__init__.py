"""Event envelope, payload schemas and the catalogue of every event type."""

from shared.events.catalogue import CATALOGUE, EventSpec, consumers_of, routing_keys_for
from shared.events.envelope import Envelope, InvalidEvent, new_envelope, parse_envelope

__all__ = [
    "CATALOGUE",
    "Envelope",
    "EventSpec",
    "InvalidEvent",
    "consumers_of",
    "new_envelope",
    "parse_envelope",
    "routing_keys_for",
]
