"""Events intake consumes (none yet: consent changes from notifications come next)."""

HANDLERS: dict = {}
