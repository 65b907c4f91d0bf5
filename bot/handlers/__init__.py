"""Telegram handlers, one module per feature; the composition root adds them in order."""
