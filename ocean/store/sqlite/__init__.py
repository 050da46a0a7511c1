"""The embedded catalog: one SQLite file, on a thread or in a child process of its own."""
