"""The unused slots of Chroma's vector index files are zeroed, and nothing the index holds changes.

A real embedded Chroma builds the index; bytes standing for leftover process memory are planted in the
slots past its element count (where Chroma writes whatever its allocation held), as an index created
by a process that had just read a customer's words carries them. Chroma reads the files back in a
fresh process before and after, so what is compared is what is on disk.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from knowledge.hnsw_files import HEADER, LENGTHS, VECTORS, clear_unused_slots, element_count, index_folders
from tests.conftest import REPO, run_cli

LEFTOVER = b"C10001 put the bins back"
STORED = 30  # vectors in the index: fewer than its first capacity (100), so slots are unused

# Builds the collection (phase "build"), or reads it back and optionally adds more ("read", "grow").
CHROMA = textwrap.dedent("""
    import json, sys
    import chromadb
    import numpy as np
    from chromadb.config import Settings
    path, phase = sys.argv[1], sys.argv[2]
    client = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(60, 16))
    if phase == "build":
        # A small batch size and sync threshold make Chroma build and save its index at once.
        c = client.create_collection("slots", embedding_function=None, configuration={
            "hnsw": {"space": "cosine", "batch_size": 10, "sync_threshold": 10}})
        c.add(ids=[f"v{n}" for n in range(%(stored)d)], embeddings=vectors[:%(stored)d].tolist(),
              documents=[f"text {n}" for n in range(%(stored)d)])
        c.delete(ids=["v3"])
    c = client.get_collection("slots", embedding_function=None)
    if phase == "grow":
        c.add(ids=[f"v{n}" for n in range(%(stored)d, 60)], embeddings=vectors[%(stored)d:].tolist())
    found = c.query(query_embeddings=vectors[[0, 7, 45]].tolist(), n_results=5, include=["distances"])
    got = c.get(ids=["v0", "v29"], include=["embeddings"])
    print(json.dumps({"count": c.count(), "ids": found["ids"],
                      "distances": [[round(d, 5) for d in row] for row in found["distances"]],
                      "embeddings": [[round(float(x), 5) for x in e] for e in got["embeddings"]]}))
""") % {"stored": STORED}


def chroma(path: Path, phase: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHROMA, str(path), phase], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def plant(folder: Path, slot: int) -> None:
    """Leftover bytes in an unused slot of both files, as an allocation that was not cleared leaves them."""
    per_slot = struct.unpack_from("<iQQQQ", (folder / HEADER).read_bytes())[4]
    for name, offset in ((VECTORS, slot * per_slot + 8), (LENGTHS, slot * 4)):
        with (folder / name).open("r+b") as handle:
            handle.seek(offset)
            handle.write(LEFTOVER)


def holding(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file() and LEFTOVER in p.read_bytes())


@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = tmp_path / "chroma"
    chroma(root, "build")
    return root


def test_leftover_bytes_in_unused_slots_are_zeroed_and_the_index_reads_the_same(built: Path) -> None:
    [folder] = index_folders(built)
    assert element_count(folder) == STORED
    before = chroma(built, "read")
    plant(folder, STORED + 2)  # past the last vector, in both files (the length file's slots are 4 bytes)
    assert holding(built) == sorted([VECTORS, LENGTHS])

    cleared = clear_unused_slots(built)

    assert holding(built) == []
    assert cleared.folders == 1 and cleared.problems == []
    assert cleared.bytes_cleared > 0
    assert chroma(built, "read") == before, "what the index returns changed"
    # Later vectors go into the cleared slots and are found.
    grown = chroma(built, "grow")
    assert grown["count"] == 59 and grown["ids"][2][0] == "v45"
    assert element_count(folder) == 60


def test_a_slot_in_use_is_never_cleared(built: Path) -> None:
    [folder] = index_folders(built)
    # Inside the slots of the last vectors (the planted bytes span six 4-byte length slots): real data there.
    plant(folder, STORED - len(LEFTOVER) // 4)
    clear_unused_slots(built)
    assert holding(built) == sorted([VECTORS, LENGTHS])


def test_files_of_another_layout_are_left_as_they_are_and_named(built: Path) -> None:
    [folder] = index_folders(built)
    plant(folder, STORED + 2)
    header = bytearray((folder / HEADER).read_bytes())
    header[0:4] = struct.pack("<i", 2)  # a persistence version this code does not know
    (folder / HEADER).write_bytes(bytes(header))
    cleared = clear_unused_slots(built)
    assert len(cleared.problems) == 1 and "not laid out as expected (version 2" in cleared.problems[0]
    assert "advocate reindex" in cleared.problems[0]
    assert holding(built) == sorted([VECTORS, LENGTHS])


def test_a_vector_added_while_clearing_is_reported(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import knowledge.hnsw_files as hnsw_files

    [folder] = index_folders(built)
    zero_past = hnsw_files._zero_past

    def writer_meanwhile(path: Path, start: int) -> int:
        # Another process saves a new vector's count between the header's reading and the zeroing.
        header = bytearray((folder / HEADER).read_bytes())
        struct.pack_into("<Q", header, 20, STORED + 1)  # after version and two sizes
        (folder / HEADER).write_bytes(bytes(header))
        return zero_past(path, start)

    monkeypatch.setattr(hnsw_files, "_zero_past", writer_meanwhile)
    cleared = clear_unused_slots(built)
    assert len(cleared.problems) == 1 and "written to while it was cleared" in cleared.problems[0]


def test_the_command_clears_a_stopped_servers_folder_and_refuses_another(built: Path, tmp_path: Path) -> None:
    [folder] = index_folders(built)
    plant(folder, STORED + 5)
    done = run_cli("clear-chroma-dir", str(built))
    assert done.exit_code == 0, done.output
    assert f"cleared {built}" in done.output
    assert holding(built) == []

    wrong = run_cli("clear-chroma-dir", str(tmp_path))
    assert wrong.exit_code == 2
    assert "holds no chroma.sqlite3" in wrong.output and "--path" in wrong.output
