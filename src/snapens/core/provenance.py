"""What a run records about where it ran: package versions, platform, CPU and
the settings that change its numbers.

Tables are byte-identical for the same pins on the same machine type. On
another CPU, XLA and oneDNN may pick other vector instructions, which can move
a last digit; ``run.json`` records the CPU model and its vector-instruction
flags so that such a difference can be traced. The settings a user or a node
can change without touching the config (oneDNN, thread counts) are recorded in
``run.json["numerics"]`` (:func:`numerics`); rule ``summarise`` compares them
across the runs of a dataset x method before it combines them
(:func:`snapens.evaluate.runfiles.check_numerics`).
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Mapping

# package recorded in run.json -> the distributions that may provide it
PACKAGES = {
    "tensorflow": ("tensorflow-cpu", "tensorflow"),
    "keras": ("keras",),
    "numpy": ("numpy",),
    "scikit-learn": ("scikit-learn",),
    "scipy": ("scipy",),
    "pandas": ("pandas",),
    "snakemake": ("snakemake",),
}

# CPU flags that decide which vector code XLA and oneDNN emit
VECTOR_FLAGS = ("sse", "ssse", "avx", "fma", "f16c", "amx", "neon", "asimd", "sve")


def versions() -> dict[str, str]:
    """Python's and the study's packages' versions (``"missing"`` if not installed)."""
    found = {"python": platform.python_version()}
    for name, dists in PACKAGES.items():
        found[name] = "missing"
        for dist in dists:
            with contextlib.suppress(metadata.PackageNotFoundError):
                found[name] = metadata.version(dist)
                break
    return found


def cpu(cpuinfo: str | Path = "/proc/cpuinfo") -> dict[str, object]:
    """The CPU's model name and its vector-instruction flags (sorted), read
    from ``/proc/cpuinfo`` (on other systems: :mod:`platform`'s guess, no flags)."""
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path(cpuinfo).read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip().lower(), value.strip())
    model = fields.get("model name") or fields.get("cpu model") or platform.processor()
    flags = (fields.get("flags") or fields.get("features") or "").split()
    return {
        "model": model or platform.machine(),
        "machine": platform.machine(),
        "vector_flags": sorted(f for f in flags if f.startswith(VECTOR_FLAGS)),
    }


def machine() -> dict[str, object]:
    """Platform string and CPU of this machine, as recorded in ``run.json``."""
    return {"platform": platform.platform(), "cpu": cpu()}


# --- numeric settings -----------------------------------------------------------

# the variable TensorFlow reads at its first use of oneDNN (snapens.core.runtime.ONEDNN)
ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


def onednn(environ: Mapping[str, str] = os.environ) -> str:
    """Whether TensorFlow's oneDNN kernels are on: ``"on"`` or ``"off"`` from
    ``TF_ENABLE_ONEDNN_OPTS`` read as TensorFlow reads it (``1``/``true`` or
    ``0``/``false``, any case). Unset, or set to anything else, TensorFlow
    uses its own default, which depends on the CPU: recorded as
    ``"on (TensorFlow's default)"`` or ``"off (...)"`` when TensorFlow is
    loaded, ``"TensorFlow's default"`` when not."""
    raw = environ.get(ONEDNN_VARIABLE)
    value = {"1": "on", "true": "on", "0": "off", "false": "off"}.get((raw or "").lower())
    if value is not None:
        return value
    default = "TensorFlow's default"
    if raw is not None:
        default += f", {ONEDNN_VARIABLE}={raw!r} not understood"
    if sys.modules.get("tensorflow") is not None:
        with contextlib.suppress(ImportError, AttributeError):
            from tensorflow.python.util import _pywrap_util_port

            return f"{'on' if _pywrap_util_port.IsMklEnabled() else 'off'} ({default})"
    return default


def blas_threads() -> int | None:
    """The threads of the BLAS libraries loaded in this process (the largest
    pool, as :mod:`threadpoolctl` reports them), ``None`` if none is loaded."""
    from threadpoolctl import threadpool_info

    pools = [lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return max(pools, default=None)


def numerics(jit_compile: bool) -> dict[str, object]:
    """The settings of this process that change a run's numbers, as recorded in
    ``run.json["numerics"]``: oneDNN (:func:`onednn`), XLA (the run config's
    ``jit_compile``), TensorFlow's intra- and inter-op threads and op
    determinism as the job set them (:func:`snapens.core.runtime.configure`;
    ``None`` when TensorFlow is not loaded) and the BLAS threads
    (:func:`blas_threads`). Imports nothing heavy: TensorFlow is asked only
    if loaded already."""
    tf = sys.modules.get("tensorflow")
    intra = inter = deterministic = None
    if tf is not None:
        intra = tf.config.threading.get_intra_op_parallelism_threads()
        inter = tf.config.threading.get_inter_op_parallelism_threads()
        with contextlib.suppress(ImportError, AttributeError):
            from tensorflow.python.framework import config as tf_config

            deterministic = bool(tf_config.is_op_determinism_enabled())
    return {
        "onednn": onednn(),
        "jit_compile": bool(jit_compile),
        "intra_op_threads": intra,
        "inter_op_threads": inter,
        "op_determinism": deterministic,
        "blas_threads": blas_threads(),
    }
