"""Stage 5, Monitor: what a resync did, as a report, a table and live progress."""
