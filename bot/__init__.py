"""FaceNudge's Telegram adapter: settings, storage, dispatcher and handlers."""
