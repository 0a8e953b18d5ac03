"""The dispatcher: claims due nudges, applies the rules, sends, records the outcome.

``loop`` runs it (claim, run_once, run_forever); ``facts`` reads what the rules need for a
batch; ``composing`` writes each message; ``outcomes`` is what became of a send and how it
is recorded; ``recorder`` records outcomes on a thread of its own.
"""

from services.notifications.dispatcher.loop import Dispatcher

__all__ = ["Dispatcher"]
