"""CSV exports too big to stream in one request, prepared in the background (issue 10).

An export is a row (`models.py`) written by a task to private storage while the page
shows its progress, then downloaded by that shop's merchants only until it expires. Each
app registers its kinds of export (its own `exports.py`) in `registry.py`.
"""
