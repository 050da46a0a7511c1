from sample_api import STARTS, SampleClient

from port_ocean.context.event import event
from port_ocean.context.ocean import ocean
from port_ocean.core.ocean_types import ASYNC_GENERATOR_RESYNC_TYPE


@ocean.on_start()
async def on_start() -> None:
    STARTS.append("on_start")  # never in integration tests, as with the original's harness


@ocean.on_resync_start()
async def on_resync_start() -> None:
    event.attributes["client"] = SampleClient()


@ocean.on_resync("team")
async def teams(kind: str) -> ASYNC_GENERATOR_RESYNC_TYPE:
    async for page in event.attributes["client"].teams():
        yield page


@ocean.on_resync("repository")
async def repositories(kind: str) -> ASYNC_GENERATOR_RESYNC_TYPE:
    selector = event.resource_config.selector  # integration.py's RepositorySelector
    async for page in event.attributes["client"].repositories():
        yield [repo for repo in page if selector.include_archived or not repo["archived"]]
