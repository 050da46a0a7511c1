"""A set of strings that can keep no object per member: their UTF-8 bytes in one buffer,
found through an open-addressing table of offsets.

A Python ``set`` of 100k identifiers holds 100k ``str`` objects (about 60 bytes each) and
its table (16 bytes a slot); living among the short-lived objects of a resync, each pins
its allocator pool, so a store's cache of known relation targets cost a 1M-entity first
sync about 11 MB of RSS. Packed, the same keys take about 3 MB, in two blocks. A member is
as exact as in a ``set``: a lookup compares the bytes, not only a hash.

A packed lookup is Python code (an encoding, a hash and a probe: about 1.5 µs), and a
write asks about each of its thousands of relation targets. So a new set keeps its members
in a plain ``set`` (where :meth:`PackedStrings.absent` asks about many with one set
difference) until its owner packs it (:meth:`pack`; a store's known targets, past
:data:`~ocean.store.postgres.known.SMALL` in all).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

_LENGTH_BITS = 20
_LENGTHS = (1 << _LENGTH_BITS) - 1
_LONGEST = _LENGTHS - 1
"""Longer members (over a megabyte, which no identifier is) are kept in a plain set."""


class PackedStrings:
    """A growing set of strings: ``add``, ``in``, ``len`` and :meth:`absent`, in a plain
    set until :meth:`pack`."""

    __slots__ = ("_buffer", "_count", "_long", "_mask", "_slots", "_small")

    def __init__(self) -> None:
        self._small: set[str] | None = set()
        """The members while unpacked (None once packed)."""
        self._buffer = bytearray()
        self._slots = array("q", bytes(8 * 64))
        """Each slot 0 (empty) or a member's offset in the buffer and its length plus one."""
        self._mask = 63
        self._count = 0
        """The members once packed (while unpacked: the plain set's size)."""
        self._long: set[str] = set()

    def __len__(self) -> int:
        return self._count if self._small is None else len(self._small)

    @property
    def packed(self) -> bool:
        """Whether the members are packed (else in a plain set)."""
        return self._small is None

    def __contains__(self, text: object) -> bool:
        if not isinstance(text, str):
            return False
        if self._small is not None:
            return text in self._small
        data = text.encode(errors="surrogatepass")  # one encoding per string, as in add
        if len(data) > _LONGEST:
            return text in self._long
        size = len(data) + 1
        slots, buffer, mask = self._slots, self._buffer, self._mask
        index = hash(text) & mask
        while entry := slots[index]:  # the probe of _slot, inline: a lookup per relation
            if entry & _LENGTHS == size and buffer.startswith(data, entry >> _LENGTH_BITS):
                return True
            index = (index + 1) & mask
        return False

    def absent(self, texts: Iterable[str]) -> set[str]:
        """The ``texts`` that are not members."""
        if self._small is not None:
            return set(texts).difference(self._small)
        member = self.__contains__
        return {text for text in texts if not member(text)}

    def add(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"a PackedStrings holds strings, not {type(text).__name__}")
        if self._small is None:
            self._pack(text)
        else:
            self._small.add(text)

    def pack(self) -> None:
        """Keep the members packed from now on (nothing if they are)."""
        small = self._small
        if small is None:
            return
        while 2 * len(small) > self._mask:  # the table's final size at once
            self._mask = 2 * self._mask + 1
        self._slots = array("q", bytes(8 * (self._mask + 1)))
        self._small = None
        for member in small:
            self._pack(member)

    def _pack(self, text: str) -> None:
        data = text.encode(errors="surrogatepass")
        if len(data) > _LONGEST:
            if text not in self._long:
                self._long.add(text)
                self._count += 1
            return
        slot = self._slot(data, hash(text))
        if self._slots[slot]:
            return
        self._slots[slot] = len(self._buffer) << _LENGTH_BITS | (len(data) + 1)
        self._buffer += data
        self._count += 1
        if 2 * self._count > self._mask:  # at most half full: probes stay short
            self._grow()

    def _slot(self, data: bytes, hashed: int) -> int:
        """The slot holding ``data``, else the empty slot where it would go."""
        slots, buffer, mask, size = self._slots, self._buffer, self._mask, len(data) + 1
        index = hashed & mask
        while entry := slots[index]:
            if entry & _LENGTHS == size and buffer.startswith(data, entry >> _LENGTH_BITS):
                return index
            index = (index + 1) & mask
        return index

    def _grow(self) -> None:
        old, buffer = self._slots, self._buffer
        self._mask = mask = 2 * self._mask + 1
        self._slots = slots = array("q", bytes(8 * (mask + 1)))
        for entry in old:
            if entry:
                start, length = entry >> _LENGTH_BITS, (entry & _LENGTHS) - 1
                index = hash(buffer[start : start + length].decode(errors="surrogatepass")) & mask
                while slots[index]:
                    index = (index + 1) & mask
                slots[index] = entry
