"""``port_ocean.tests.helpers``: fixtures and loaders for integrations' own unit tests."""
