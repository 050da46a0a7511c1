"""``port_ocean.tests``: helpers integrations' own tests use (``port_ocean.tests.helpers``)."""
