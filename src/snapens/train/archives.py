"""Keras archives (``.keras``) of the study's models, written without calling
``model.save`` for every file (read by :mod:`snapens.evaluate.loading`).

A ``.keras`` file is a zip of ``metadata.json``, ``config.json`` and
``model.weights.h5``. Every snapshot of a job has the same architecture, so
its archive differs from the others only in the weights' bytes (and the date
in ``metadata.json``); where those bytes sit in ``model.weights.h5`` is fixed
once the first archive is written. So:

* :class:`ArchiveWriter` saves the job's first archive with ``model.save`` and
  writes every later one by putting the new weights' bytes into a copy of it
  (~0.3 ms against ~15 ms). It does so only after checking that this rebuilds
  the first archive's weights file byte for byte; otherwise every archive is
  saved with ``model.save``.
* The reader (:class:`snapens.evaluate.loading.ArchiveReader`) reads the
  weights once per layout with h5py and then straight from the bytes at the
  recorded offsets (:class:`Layout`).

Each archive still loads alone with ``keras.saving.load_model`` (tested). An
archive records when it was saved (``metadata.json``, and its zip entries'
times): the time of writing, or ``SOURCE_DATE_EPOCH`` when that is set (the
reproducible-builds convention). Keras names the objects a model's config
shares by their memory address (``shared_object_id``), another number a
process picks; the template numbers them 1, 2, ... in the order they appear
instead (:func:`stable_config`), which keeps what is shared. With
``SOURCE_DATE_EPOCH`` set, a job done again thus writes the same bytes.
"""

from __future__ import annotations

import copy
import datetime
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from snapens.core.io import atomic_path

WEIGHTS = "model.weights.h5"
METADATA = "metadata.json"
CONFIG = "config.json"


def layer_group(class_name: str, used: dict[str, int]) -> str:
    """The group Keras gives a layer in ``model.weights.h5``: its class in
    snake case, numbered from the second layer of a class on (``dense``,
    ``dense_1``, ...)."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    count = used.get(name, 0)
    used[name] = count + 1
    return name if count == 0 else f"{name}_{count}"


def weight_paths(model) -> list[str]:
    """Where a Keras model's archive keeps each array of ``model.get_weights()``,
    in that order (``layers/{group}/vars/{i}``, ``i`` in the layer's own order)."""
    used: dict[str, int] = {}
    paths = []
    for layer in model.layers:
        group = layer_group(type(layer).__name__, used)
        paths += [f"layers/{group}/vars/{i}" for i in range(len(layer.weights))]
    return paths


@dataclass(frozen=True)
class Slot:
    """Where one weight array sits in the archive's bytes: its offset, shape and dtype."""

    offset: int
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        """Bytes the array takes in the archive."""
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


@dataclass(frozen=True)
class Layout:
    """Where a weights file keeps its arrays, and its bytes outside them."""

    size: int
    slots: tuple[Slot, ...]
    frame: bytes  # the file with every array's bytes zeroed

    @classmethod
    def of(cls, blob: bytes, paths: Sequence[str]) -> Layout | None:
        """The layout of the weights file ``blob`` (arrays at ``paths``), or
        ``None`` if an array is not stored as one contiguous, uncompressed,
        little-endian block (then there are no fixed offsets to use)."""
        import h5py

        slots = []
        with h5py.File(io.BytesIO(blob), "r") as weights:
            for path in paths:
                ds = weights[path]
                offset = ds.id.get_offset()
                if (
                    offset is None
                    or ds.chunks is not None
                    or ds.compression is not None
                    or ds.dtype.byteorder == ">"
                ):
                    return None
                slots.append(Slot(int(offset), tuple(ds.shape), np.dtype(ds.dtype).newbyteorder("<")))
        frame = bytearray(blob)
        for s in slots:
            frame[s.offset : s.offset + s.nbytes] = bytes(s.nbytes)
        layout = cls(len(blob), tuple(slots), bytes(frame))
        return layout if layout.fits(blob) else None

    def fits(self, blob: bytes) -> bool:
        """Whether ``blob`` is a weights file of this layout (same bytes outside the arrays)."""
        if len(blob) != self.size:
            return False
        frame = bytearray(blob)
        for s in self.slots:
            frame[s.offset : s.offset + s.nbytes] = bytes(s.nbytes)
        return bytes(frame) == self.frame

    def read(self, blob: bytes) -> list[np.ndarray]:
        """The weight arrays of an archive's bytes (copies)."""
        return [
            np.frombuffer(blob, s.dtype, int(np.prod(s.shape)), s.offset).reshape(s.shape).copy()
            for s in self.slots
        ]

    def write(self, arrays: Sequence[np.ndarray]) -> bytes:
        """The template's bytes with ``arrays`` written into their slots."""
        blob = bytearray(self.frame)
        for s, a in zip(self.slots, arrays, strict=True):
            a = np.ascontiguousarray(a, dtype=s.dtype)
            if a.shape != s.shape:
                raise ValueError(f"weights of shape {a.shape} where the archive keeps {s.shape}")
            blob[s.offset : s.offset + s.nbytes] = a.tobytes()
        return bytes(blob)


def read_h5(blob: bytes, paths: Sequence[str]) -> list[np.ndarray]:
    """The arrays at ``paths`` of a weights file, read with h5py."""
    import h5py

    with h5py.File(io.BytesIO(blob), "r") as weights:
        return [np.asarray(weights[path]) for path in paths]


def saved_at() -> datetime.datetime:
    """When an archive counts as saved: now (local time, as Keras writes it),
    or ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when set; zip entries
    cannot be dated before 1980."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return datetime.datetime.now()
    stamp = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).replace(tzinfo=None)
    return max(stamp, datetime.datetime(1980, 1, 1))


def stable_config(text: bytes) -> bytes:
    """A model's ``config.json`` with every ``shared_object_id`` (an object's
    memory address when Keras saved it) replaced by its rank of first
    appearance, so that equal ids stay equal and the text no longer depends
    on the process."""
    ranks: dict[object, int] = {}

    def renumber(node):
        if isinstance(node, dict):
            return {
                k: ranks.setdefault(v, len(ranks) + 1) if k == "shared_object_id" else renumber(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [renumber(v) for v in node]
        return node

    return json.dumps(renumber(json.loads(text))).encode()


def members(path: str | Path) -> dict[str, bytes]:
    """The files inside an archive."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


class ArchiveWriter:
    """Writes ``.keras`` archives of one Keras model's architecture, each with
    other weights (see the module's docstring)."""

    def __init__(self, model):
        self.model = model
        self.paths = weight_paths(model)
        self.template: dict[str, bytes] | None = None
        self.infos: list[zipfile.ZipInfo] = []
        self.layout: Layout | None = None

    def save(self, path: str | Path, weights: Sequence[np.ndarray] | None = None) -> Path:
        """Write ``path`` (atomically) holding ``weights`` (default: the model's own)."""
        if self.template is None or self.layout is None:
            return self._save_with_keras(path, weights)
        stamp = saved_at()
        metadata = json.loads(self.template[METADATA])
        metadata["date_saved"] = stamp.strftime("%Y-%m-%d@%H:%M:%S")  # as Keras writes it
        content = {
            **self.template,
            METADATA: json.dumps(metadata).encode(),
            WEIGHTS: self.layout.write(self.model.get_weights() if weights is None else weights),
        }
        with atomic_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w") as archive:
                for info in self.infos:
                    entry = copy.copy(info)
                    entry.date_time = stamp.timetuple()[:6]
                    archive.writestr(entry, content[info.filename])
        return Path(path)

    def _save_with_keras(self, path, weights) -> Path:
        if weights is not None:
            self.model.set_weights(weights)
        with atomic_path(path) as tmp:
            self.model.save(tmp)
        if self.template is None:  # the first archive: the template of the others, if it can be rebuilt
            self.template = members(path)
            if CONFIG in self.template:
                self.template[CONFIG] = stable_config(self.template[CONFIG])
            with zipfile.ZipFile(path) as archive:
                self.infos = archive.infolist()
            blob = self.template.get(WEIGHTS)
            layout = Layout.of(blob, self.paths) if blob is not None else None
            if (
                layout is not None
                and layout.write(read_h5(blob, self.paths)) == blob
                and set(self.template) == {info.filename for info in self.infos}
            ):
                self.layout = layout
                return self.save(path, weights)  # dated like every later archive
        return Path(path)
