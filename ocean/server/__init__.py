"""The Port-compatible catalog server (``ocean catalog serve``)."""
