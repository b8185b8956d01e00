"""The registry's views for other services: the whole fleet flat, and one camera."""
