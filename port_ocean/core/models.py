"""``port_ocean.core.models``: the original's catalog and run models (``pydantic.v1``, as
the original's), for integrations that build or read them. Annotations are evaluated
here (no ``from __future__ import annotations``): pydantic v1 resolves the nested run
models by them."""

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from pydantic.v1 import BaseModel, Extra, Field, root_validator

from port_ocean._unsupported import missing
from port_ocean.cache.base import CachingStorageMode


class EventListenerType(enum.StrEnum):
    WEBHOOK = "WEBHOOK"
    KAFKA = "KAFKA"
    POLLING = "POLLING"
    ONCE = "ONCE"
    WEBHOOKS_ONLY = "WEBHOOKS_ONLY"
    ACTIONS_ONLY = "ACTIONS_ONLY"


class CreatePortResourcesOrigin(enum.StrEnum):
    Empty = "Empty"
    Ocean = "Ocean"
    Default = "Default"
    Port = "Port"


class LiveEventsConsumerType(enum.StrEnum):
    REDIS = "REDIS"


class ProcessingMode(enum.StrEnum):
    ocean_core = "ocean-core"
    dsp = "dsp"


class IntegrationFeatureFlag(enum.StrEnum):
    USE_PROVISIONED_DEFAULTS = "USE_PROVISIONED_DEFAULTS"
    LAKEHOUSE_ELIGIBLE = "LAKEHOUSE_ELIGIBLE"
    OCEAN_KAFKA_INTEGRATION_RESYNC_REQUESTS_TOPIC_ENABLED = (
        "OCEAN_KAFKA_INTEGRATION_RESYNC_REQUESTS_TOPIC_ENABLED"
    )
    DATA_SOURCE_PROCESSOR_ENABLED = "DATA_SOURCE_PROCESSOR_ENABLED"
    LIVE_EVENTS_REDIS_STREAM_ENABLED = "LIVE_EVENTS_REDIS_STREAM_ENABLED"
    AWS_V3_LIVE_EVENTS_ENABLED = "AWS_V3_LIVE_EVENTS_ENABLED"


class LakehouseOperation(enum.StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


class LakehouseEventType(enum.StrEnum):
    RESYNC = "resync"
    LIVE_EVENT = "live-event"


class PortAPIErrorMessage(enum.Enum):
    NOT_FOUND = "not_found"


class Runtime(enum.Enum):
    Saas = "Saas"
    OnPrem = "OnPrem"

    @property
    def is_saas_runtime(self) -> bool:
        return self is Runtime.Saas

    def is_installation_type_compatible(self, installation_type: str) -> bool:
        """SaaS runtimes run ``Saas...`` installations; on-premises ones ``OnPrem``."""
        if self is Runtime.Saas:
            return installation_type.startswith(str(self.value))
        return installation_type == str(self.value)


class Entity(BaseModel):
    """An entity as the catalog holds it."""

    identifier: Any
    icon: str | None
    blueprint: Any
    title: Any
    team: str | None | list[Any] | dict[str, Any] = []
    properties: dict[str, Any] = {}
    relations: dict[str, Any] = {}

    @property
    def is_using_search_identifier(self) -> bool:
        return isinstance(self.identifier, dict)

    @property
    def is_using_search_relation(self) -> bool:
        teams = self.team if isinstance(self.team, list) else []
        return any(isinstance(value, dict) for value in [*self.relations.values(), *teams])


class BlueprintRelation(BaseModel):
    many: bool
    required: bool
    target: str
    title: str | None


class Blueprint(BaseModel):
    identifier: str
    title: str | None
    team: str | None
    properties_schema: dict[str, Any] = Field(alias="schema")
    relations: dict[str, BlueprintRelation]


@dataclass
class EntityPortDiff:
    """Entities a resync deletes, changes and creates."""

    deleted: list[Entity] = field(default_factory=list)
    modified: list[Entity] = field(default_factory=list)
    created: list[Entity] = field(default_factory=list)


class EntityBulkResult(TypedDict):
    identifier: str
    index: int
    created: bool


class EntityBulkError(TypedDict):
    identifier: str
    index: int
    statusCode: int
    error: str
    message: str


class BulkUpsertResponse(TypedDict):
    entities: list[EntityBulkResult]
    errors: list[EntityBulkError]


class Migration(BaseModel):
    id: str
    actor: str
    sourceBlueprint: str
    mapping: dict[str, Any]
    status: str


class RunStatus(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


ActionRunStatus = RunStatus


class WorkflowNodeRunStatus(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class WorkflowNodeRunResult(enum.StrEnum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class WorkflowNodeRunLog(BaseModel):
    level: Literal["INFO", "WARN", "ERROR", "DEBUG"]
    message: str


class RunKind(enum.StrEnum):
    ACTION = "action"
    WORKFLOW_NODE = "workflow_node"


class IntegrationActionInvocationPayload(BaseModel):
    type: Literal["INTEGRATION_ACTION"]
    installationId: str
    integrationActionType: str
    integrationActionExecutionProperties: dict[str, Any]


class WorkflowIntegrationActionConfig(BaseModel):
    type: Literal["INTEGRATION_ACTION"]
    installationId: str
    integrationProvider: str
    integrationInvocationType: str
    integrationActionExecutionProperties: dict[str, Any]

    class Config:
        extra = Extra.allow


class IntegrationRun(ABC):
    """A run an integration executes: an action run or a workflow node run."""

    id: str

    @property
    @abstractmethod
    def run_kind(self) -> RunKind: ...

    @property
    @abstractmethod
    def action_type(self) -> str: ...

    @property
    @abstractmethod
    def execution_properties(self) -> dict[str, Any]: ...

    @property
    @abstractmethod
    def buffer_utilization_key(self) -> str: ...

    @property
    @abstractmethod
    def is_in_progress(self) -> bool: ...


class ActionRun(BaseModel, IntegrationRun):
    class Action(BaseModel):
        identifier: str

    class Config:
        allow_population_by_field_name = True

    id: str
    status: RunStatus
    payload: IntegrationActionInvocationPayload
    action: Action

    @property
    def run_kind(self) -> RunKind:
        return RunKind.ACTION

    @property
    def action_identifier(self) -> str:
        return self.action.identifier

    @property
    def action_type(self) -> str:
        return self.payload.integrationActionType

    @property
    def execution_properties(self) -> dict[str, Any]:
        return self.payload.integrationActionExecutionProperties

    @property
    def buffer_utilization_key(self) -> str:
        return self.action_identifier

    @property
    def is_in_progress(self) -> bool:
        return self.status == RunStatus.IN_PROGRESS


class WorkflowNodeRun(BaseModel, IntegrationRun):
    class WorkflowNode(BaseModel):
        config: WorkflowIntegrationActionConfig

    class Config:
        allow_population_by_field_name = True
        extra = Extra.allow

    id: str = Field(alias="identifier")
    node_uid: str | None = Field(default=None, alias="nodeUid")
    status: WorkflowNodeRunStatus
    config: WorkflowIntegrationActionConfig | None = None
    node: WorkflowNode | None = None
    output: dict[str, Any] = Field(default_factory=dict)

    @root_validator(skip_on_failure=True)
    def _has_a_config(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("config") is None and values.get("node") is None:
            raise ValueError("either config or node.config must be provided")
        return values

    @property
    def integration_config(self) -> WorkflowIntegrationActionConfig:
        if self.config is not None:
            return self.config
        assert self.node is not None  # the validator requires one of them
        return self.node.config

    @property
    def run_kind(self) -> RunKind:
        return RunKind.WORKFLOW_NODE

    @property
    def action_type(self) -> str:
        return self.integration_config.integrationInvocationType

    @property
    def execution_properties(self) -> dict[str, Any]:
        return self.integration_config.integrationActionExecutionProperties

    @property
    def buffer_utilization_key(self) -> str:
        return self.node_uid or self.id

    @property
    def is_in_progress(self) -> bool:
        return self.status == WorkflowNodeRunStatus.IN_PROGRESS


__all__ = [
    "ActionRun",
    "BulkUpsertResponse",
    "EntityBulkError",
    "IntegrationFeatureFlag",
    "LakehouseEventType",
    "LakehouseOperation",
    "LiveEventsConsumerType",
    "Migration",
    "PortAPIErrorMessage",
    "ProcessingMode",
    "WorkflowNodeRunLog",
    "ActionRunStatus",
    "Blueprint",
    "BlueprintRelation",
    "CachingStorageMode",
    "CreatePortResourcesOrigin",
    "Entity",
    "EntityBulkResult",
    "EntityPortDiff",
    "EventListenerType",
    "IntegrationActionInvocationPayload",
    "IntegrationRun",
    "RunKind",
    "RunStatus",
    "Runtime",
    "WorkflowIntegrationActionConfig",
    "WorkflowNodeRun",
    "WorkflowNodeRunResult",
    "WorkflowNodeRunStatus",
]
__getattr__ = missing(__name__)
