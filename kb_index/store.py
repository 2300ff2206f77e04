"""On-disk layout of a built index and its atomic swap.

index_dir/
  current -> builds/<build-id>     (symlink, replaced atomically)
  builds/<build-id>/index.faiss    FAISS index over passage vectors
  builds/<build-id>/vectors.npy    the same vectors, reused by incremental rebuilds
  builds/<build-id>/meta.json      build info, articles and passages (row i = vector i)
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

CURRENT = "current"
BUILDS = "builds"
KEEP_BUILDS = 3  # a reader may still hold the previous build open


@dataclass
class BuiltIndex:
    path: Path
    index: faiss.Index
    vectors: np.ndarray
    meta: dict


def current_build(index_dir: Path) -> Path | None:
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    return (index_dir / os.readlink(link)) if link.is_symlink() else link


def make_faiss_index(vectors: np.ndarray, kind: str) -> faiss.Index:
    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        # Approximate search for large corpora; inner product on normalised vectors = cosine.
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        # efSearch is saved with the index; 128 kept recall@50 at 0.99 on 10k (bench/kb_scale.py).
        index.hnsw.efConstruction = 64
        index.hnsw.efSearch = 128
    else:
        raise ValueError(f"unknown index type '{kind}' (flat or hnsw)")
    index.add(vectors)
    return index


def write_build(index_dir: Path, vectors: np.ndarray, meta: dict, kind: str) -> Path:
    """Write a complete build in its own folder, then point `current` at it in one rename."""
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    staging = builds / f".staging-{build_id}"
    staging.mkdir()
    faiss.write_index(make_faiss_index(vectors, kind), str(staging / "index.faiss"))
    np.save(staging / "vectors.npy", vectors)
    (staging / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    final = builds / build_id
    staging.rename(final)
    tmp_link = index_dir / f".{CURRENT}.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(BUILDS) / build_id)
    os.replace(tmp_link, index_dir / CURRENT)
    _prune(builds, keep=final.name)
    return final


def _prune(builds: Path, keep: str) -> None:
    done = sorted((p for p in builds.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def read_build(path: Path) -> BuiltIndex:
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    index = faiss.read_index(str(path / "index.faiss"))
    vectors = np.load(path / "vectors.npy")
    return BuiltIndex(path=path, index=index, vectors=vectors, meta=meta)
