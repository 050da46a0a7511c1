"""``RetryConfig`` for the original's retrying HTTP transport (accepted, not yet applied)."""

from __future__ import annotations

from dataclasses import dataclass, field

from port_ocean._unsupported import missing


@dataclass
class RetryConfig:
    max_attempts: int = 10
    max_backoff_wait: float = 60
    base_delay: float = 0.1
    jitter_ratio: float = 0.1
    respect_retry_after_header: bool = True
    retryable_methods: frozenset[str] = frozenset(
        {"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"}
    )
    retry_status_codes: frozenset[int] = frozenset({408, 429, 502, 503, 504})
    additional_retry_status_codes: list[int] = field(default_factory=list)


__getattr__ = missing(__name__)
