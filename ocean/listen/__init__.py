"""Stage 1, Listen: what starts a resync (ONCE, POLLING, WEBHOOK, KAFKA), and the
integration's HTTP server."""
