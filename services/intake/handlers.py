"""Events intake consumes: consent changes the client made through notifications
(an SMS keyword, an unsubscribe link), and whether the person with a client's phone has
confirmed that the record is theirs."""

from __future__ import annotations

from services.intake import opt_outs, phone_confirmation
from shared.messaging.inbox import subscriptions

HANDLERS = subscriptions(
    ("contact.opted_out", opt_outs.on_opted_out),
    ("contact.opted_in", opt_outs.on_opted_in),
    ("contact.phone_confirmed", phone_confirmation.on_phone_confirmed),
)
