"""Messaging: the topology, the outbox relay, the inbox consumer runner, dead letters."""
