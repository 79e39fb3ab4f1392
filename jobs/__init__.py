"""Scheduled work (APScheduler): manager digests, advocate briefings, promise reminders."""
