"""``port_ocean.log.sensetive`` (the original's spelling): ``sensitive_log_filter``, over
Ocean's masking of sensitive values (:mod:`ocean.monitor.sensitive`). A string an
integration hides (``hide_sensitive_strings``: its tokens, say) is masked from then on in
Ocean's log and resync reports, as the settings' secrets are, and by ``mask_string`` and
``mask_object``: its first characters kept (at most 6, and at most a quarter of it, so that
a short secret is not shown whole) then ``[REDACTED]``; with ``full_hide``, ``[REDACTED]``
alone. Unlike the original's, it does not also look for secrets by their shape (keys,
passwords in URLs): only the values Ocean is told are masked."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ocean.monitor.sensitive import hide_sensitive, redact, redact_object
from port_ocean._unsupported import missing

if TYPE_CHECKING:
    from loguru import Record


class SensitiveLogFilter:
    """The original's filter; every instance masks the same values (Ocean's)."""

    def hide_sensitive_strings(self, *tokens: str) -> None:
        """Mask ``tokens`` (surrounding spaces aside) from now on; as Ocean's, one shorter than
        4 characters is no credential, and is not masked."""
        hide_sensitive(tokens)

    def mask_string(self, string: str, full_hide: bool = False) -> str:
        return redact(string, whole=full_hide)

    def mask_object(self, obj: Any, full_hide: bool = False) -> Any:
        """``obj`` with its strings masked, in new lists and dicts (``obj`` is unchanged)."""
        return redact_object(obj, whole=full_hide)

    def create_filter(self, full_hide: bool = False) -> Callable[[Record], bool]:
        """A loguru filter masking each record's message (it passes every record)."""

        def masking(record: Record) -> bool:
            record["message"] = self.mask_string(record["message"], full_hide)
            return True

        return masking


sensitive_log_filter = SensitiveLogFilter()

__all__ = ["SensitiveLogFilter", "sensitive_log_filter"]
__getattr__ = missing(__name__)
