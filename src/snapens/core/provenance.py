"""What a run records about where it ran: package versions, platform and CPU.

Tables are byte-identical for the same pins on the same machine type. On
another CPU, XLA and oneDNN may pick other vector instructions, which can move
a last digit; ``run.json`` records the CPU model and its vector-instruction
flags so that such a difference can be traced.
"""

from __future__ import annotations

import contextlib
import platform
from importlib import metadata
from pathlib import Path

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
