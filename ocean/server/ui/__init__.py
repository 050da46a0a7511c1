"""The web UI of ``ocean catalog serve``: server-rendered pages (Jinja2) over the catalog,
signed in with catalog credentials (see :mod:`ocean.server.ui.app`)."""
