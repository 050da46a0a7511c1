"""Stage 4, Load: diff mapped entities against the catalog and apply the difference."""
