"""Checks an installed Advocate environment: run with that environment's python, offline.

docker/install.sh runs it at the end of every install (the image build and tests/deploy/test_install.py),
so a broken image fails while it is being built, not when it first starts. One line per check on stdout;
the first failure stops it with exit code 1 and says what is missing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# The proof is that everything loads with the model hub switched off.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

EMBEDDING_DIMENSION = 384  # all-MiniLM-L6-v2


class CheckFailed(Exception):
    """One check failed; the message says what is wrong."""


def check_installed_not_source() -> str:
    import advocate
    import bot
    import jobs
    import knowledge
    import prompts

    prefix = Path(sys.prefix).resolve()
    for module in (advocate, knowledge, prompts, bot, jobs):
        location = Path(module.__file__ or "").resolve()
        if prefix not in location.parents:
            raise CheckFailed(f"{module.__name__} is imported from {location}, not from the environment {prefix}")
    script = Path(sys.prefix) / "bin" / "advocate"
    if not script.exists():
        raise CheckFailed(f"the advocate command is missing from {script.parent}")
    return f"packages installed in {prefix}"


def check_torch_cpu() -> str:
    import torch

    if not torch.__version__.startswith("2.13.0"):
        raise CheckFailed(f"torch {torch.__version__} is installed; torch==2.13.0 (CPU) is expected")
    if torch.version.cuda is not None:
        raise CheckFailed(f"torch {torch.__version__} is a CUDA build; install it from PyTorch's CPU index")
    return f"torch {torch.__version__} (CPU)"


def check_package_data() -> str:
    import knowledge
    from prompts import PROMPTS_DIR

    for name in ("lenses.yaml", "functions.yaml", "brief_system.md", "brief_user.md"):
        if not (PROMPTS_DIR / name).is_file():
            raise CheckFailed(f"prompt data {name} is missing from {PROMPTS_DIR}")
    sample = Path(knowledge.__file__).resolve().parent / "sample"
    for kind in ("definition", "culture", "research", "feedback", "transcripts", "eval"):
        if not any((sample / kind).glob("*.*")):
            raise CheckFailed(f"the sample pack's {kind} folder is missing or empty in {sample}")
    return "prompts and the sample pack installed"


def check_migrations() -> str:
    from sqlalchemy import create_engine, inspect

    from records.migrate import current_revision, head_revision, upgrade_to_head

    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'check.sqlite'}")
        try:
            upgrade_to_head(engine)
            with engine.connect() as connection:
                revision = current_revision(connection)
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
    if revision != head_revision() or "customers" not in tables:
        raise CheckFailed("the records migrations did not bring an empty database to the newest schema")
    return f"records migrations run to {revision}"


def check_embedding_model() -> str:
    from knowledge.embeddings import SentenceTransformerEmbeddings

    vector = SentenceTransformerEmbeddings().embed_query("Customers want a callback at the time we promised.")
    if len(vector) != EMBEDDING_DIMENSION:
        raise CheckFailed(f"the embedding model gave {len(vector)} dimensions, expected {EMBEDDING_DIMENSION}")
    return f"embedding model loads offline ({len(vector)} dimensions)"


CHECKS = (check_installed_not_source, check_torch_cpu, check_package_data, check_migrations, check_embedding_model)


def main() -> int:
    for check in CHECKS:
        try:
            print(f"ok: {check()}", flush=True)
        except CheckFailed as exc:
            print(f"FAILED: {exc}", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
