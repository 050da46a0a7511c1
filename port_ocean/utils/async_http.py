from port_ocean._unsupported import missing
from port_ocean.utils import http_async_client

__all__ = ["http_async_client"]
__getattr__ = missing(__name__)
