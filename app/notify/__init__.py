"""Notifications: the worker that sends the outbox and the reminders it schedules."""
