"""Live events: changes third-party systems push by webhook."""
