"""The built-in web chat: a demo and trial platform that speaks the neutral message model."""
