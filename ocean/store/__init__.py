"""The catalog: blueprints, entities and resync runs behind one async interface."""
