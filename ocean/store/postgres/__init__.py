"""The catalog on PostgreSQL (asyncpg), for more than one machine."""
