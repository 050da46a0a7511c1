"""Stage 1, Listen: what starts a resync. ``once`` is the only listener so far."""
