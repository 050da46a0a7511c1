"""The original Ocean's author-facing API (``port_ocean``), as thin views over Ocean.

Integrations written for the original import from here unchanged. Only the names they
actually use are provided; importing any other ``port_ocean`` module or name fails with an
error that names it and says it is not supported yet. Importing this package installs that
guard for ``port_ocean.*`` names only and changes nothing else.
"""

from port_ocean._unsupported import install_guard

install_guard()
