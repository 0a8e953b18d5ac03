"""Plumbing the three services share: settings, events, messaging, auth, web and database."""
