"""Jinja2 templates of the notifications (HTML part with autoescape; plain-text part from its own template)."""
