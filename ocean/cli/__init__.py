"""The ``ocean`` command line."""
