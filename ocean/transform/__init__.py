"""Stage 3, Transform: raw items to catalog entities with JQ mappings. Pure: no I/O."""
