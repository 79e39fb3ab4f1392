"""Clearing the unused slots of Chroma's vector index files, which carry whatever process memory held.

Chroma keeps each collection's HNSW index in a folder of four files. When an index is created, its
first capacity of slots (100 vectors in Chroma 1.5) is allocated without being cleared and written to
`data_level0.bin` and `length.bin` whole; a slot is overwritten only when a vector is added to it. So
until a collection holds that many vectors, the files carry bytes of the memory of the process that
created the index — in a process that has just read a customer's feedback, their id and words
(found so: docs/RELIABILITY.md). Later growth is written slot by slot and leaves no such bytes.

`clear_unused_slots` zeroes the slots past the index's element count in both files. Those slots are
never read as vectors: an added vector is written into its slot before the count that covers it. Only
the standard library is used, so the same code clears the folder of a stopped Chroma server.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

HEADER = "header.bin"
VECTORS = "data_level0.bin"  # per slot: its links, its vector and its label
LENGTHS = "length.bin"  # per slot: the vector's norm (a 4-byte float)
PERSISTENCE_VERSION = 1  # the layout of Chroma's hnswlib fork that this reads
# The header's first fields: version (int32), then offsetLevel0, max_elements, cur_element_count,
# size_data_per_element (size_t each), packed.
_HEAD = struct.Struct("<iQQQQ")
_ZEROS = bytes(1 << 16)


class UnknownLayout(ValueError):
    """A folder's index files are not laid out as this code expects (another Chroma version)."""


@dataclass
class Clearing:
    folders: int = 0  # index folders looked at
    bytes_cleared: int = 0  # unused-slot bytes set to zero
    # Folders left as they are, each with why, and folders written to while they were cleared.
    problems: list[str] = field(default_factory=list)


def index_folders(root: Path) -> list[Path]:
    """The HNSW index folders under a Chroma directory (one per collection's vector segment)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / HEADER).is_file())


def clear_unused_slots(root: Path) -> Clearing:
    """Zero the unused slots of every HNSW index under the Chroma directory `root`."""
    done = Clearing()
    for folder in index_folders(root):
        done.folders += 1
        try:
            count = element_count(folder)
            done.bytes_cleared += _zero_past(folder / VECTORS, count * slot_size(folder))
            done.bytes_cleared += _zero_past(folder / LENGTHS, count * 4)
            if element_count(folder) != count:
                # A vector added meanwhile may have been overwritten on disk; a rebuild restores it.
                done.problems.append(
                    f"the vector index in {folder} was written to while it was cleared: run `advocate reindex` "
                    "to rebuild it, and `advocate forget-customer` again"
                )
        except UnknownLayout as exc:
            done.problems.append(
                f"the vector index in {folder} is not laid out as expected ({exc}); its unused space is not cleared: "
                "run `advocate reindex` to rebuild the knowledge collection"
            )
    return done


def _header(folder: Path) -> tuple[int, int, int, int, int]:
    data = (folder / HEADER).read_bytes()
    if len(data) < _HEAD.size:
        raise UnknownLayout(f"{HEADER} has {len(data)} bytes")
    return _HEAD.unpack_from(data)


def element_count(folder: Path) -> int:
    """How many slots of the index hold a vector (deleted ones included), checked against its files."""
    version, offset, capacity, count, per_slot = _header(folder)
    if version != PERSISTENCE_VERSION or offset != 0:
        raise UnknownLayout(f"version {version}, level-0 offset {offset}")
    if not 0 < per_slot < 1 << 24 or count > capacity:
        raise UnknownLayout(f"{count} of {capacity} slots of {per_slot} bytes")
    for name, size in ((VECTORS, per_slot), (LENGTHS, 4)):
        length = (folder / name).stat().st_size
        if length % size or length > capacity * size:
            raise UnknownLayout(f"{name} has {length} bytes for {capacity} slots of {size}")
    return count


def slot_size(folder: Path) -> int:
    return _header(folder)[4]


def _zero_past(path: Path, start: int) -> int:
    """Write zeros from byte `start` to the end of `path`, in place; the bytes written."""
    end = path.stat().st_size
    if end <= start:
        return 0
    with path.open("r+b") as handle:
        handle.seek(start)
        left = end - start
        while left:
            left -= handle.write(_ZEROS[: min(left, len(_ZEROS))])
        handle.flush()
        os.fsync(handle.fileno())
    return end - start
