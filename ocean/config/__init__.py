"""Configuration, read once at the edge and passed down: settings, spec.yaml, config.yaml."""
