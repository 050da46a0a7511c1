"""A compiled resource as another process compiles it again: the jq worker pool
(:mod:`ocean.transform.pool`) and the catalog's own process, which maps pages handed to it
(:mod:`ocean.store.sqlite.mapping`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass

from ocean.mapping import parse_resource, to_document
from ocean.transform.mapper import CompiledResource


@dataclass(frozen=True)
class MappingSpec:
    """A resource's mapping as another process compiles it: the resource block as JSON,
    the environment its jq may read and its place in the mapping."""

    document: str
    env: tuple[tuple[str, str], ...] | None
    index: int

    @classmethod
    def of(cls, resource: CompiledResource) -> MappingSpec:
        env = resource.env
        return cls(
            json.dumps(to_document(resource.resource)),
            None if env is None else tuple(sorted(env.items())),
            resource.index,
        )


@functools.cache
def compiled(spec: MappingSpec) -> CompiledResource:
    """The resource of ``spec``, compiled once per process."""
    env: Mapping[str, str] | None = None if spec.env is None else dict(spec.env)
    return CompiledResource(parse_resource(json.loads(spec.document)), env=env, index=spec.index)
