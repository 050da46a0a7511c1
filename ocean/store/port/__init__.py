"""The catalog on the Port API (Port's REST routes)."""
