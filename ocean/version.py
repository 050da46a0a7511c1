"""The version of the ocean-sync distribution (read by packaging and the page memo)."""

__version__ = "0.1.0"
