"""The floor's Django project: settings, URLs and WSGI entry point (see bench/floor)."""
