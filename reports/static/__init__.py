"""The reports' stylesheets (a package so that the wheel carries them)."""
