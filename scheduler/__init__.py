"""Scheduled work: the nudge rules, the sweep that owes what is due to the outbox, and the
APScheduler ticks that run it (delivery is the hub's, hub/delivery.py)."""
