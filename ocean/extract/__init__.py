"""Stage 2, Extract: run an integration's handlers and check what they yield."""
