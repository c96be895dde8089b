"""Process set-up: TensorFlow's backend, thread pools and determinism, set once
per process, and NumPy's thread pool for the jobs that do without TensorFlow."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

_configured: int | None = None

# What importing Keras and TensorFlow pulls in only because it is installed,
# for features no training job uses: Keras's scikit-learn wrappers (scikit-learn
# ~1.2 s, with SciPy), its image-gallery plot (matplotlib's pyplot, ~0.5 s) and
# the sparse-input checks of TensorFlow's legacy Keras (SciPy). Each treats the
# package as optional; a job that needs one later imports it as usual.
UNUSED_BY_KERAS = ("sklearn", "matplotlib", "scipy")

# TensorFlow's oneDNN kernels, which its x86 builds turn on by default only on
# Intel CPUs. On the AMD EPYC the study is benchmarked on they make a lane step
# of the sweep's MLPs 1.7x (MNIST-1D) and 2.5x (MNIST) faster. Runs stay
# deterministic and independent of their chunk (tests/unit/test_training.py);
# the MNIST-1D weights were the same bits as without them, those of MNIST's
# 784-input layer not (another order of summation; docs/benchmarks.md,
# "oneDNN"). Set before TensorFlow is imported; a value the user exported wins.
ONEDNN = ("TF_ENABLE_ONEDNN_OPTS", "1")


@contextlib.contextmanager
def not_importable(names: tuple[str, ...]) -> Iterator[None]:
    """Make ``import name`` (and its submodules) fail with ImportError inside
    the block, for the packages not imported yet; they import as usual
    afterwards. For libraries that treat a package as optional and import it
    at once when it is there: Keras leaves only its scikit-learn wrappers
    unusable, seaborn only its kernel density estimates."""
    blocked = [name for name in names if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def configure(threads: int = 1, deterministic: bool = True) -> None:
    """Import TensorFlow and Keras with ``threads`` intra- and inter-op threads.

    TensorFlow's oneDNN kernels are on unless ``TF_ENABLE_ONEDNN_OPTS`` says
    otherwise (:data:`ONEDNN`). Must run before any TensorFlow op executes
    (thread pools cannot change afterwards); calling it again with the same
    ``threads`` is a no-op.
    The optional packages Keras and TensorFlow would load for features no job
    uses are left out of the import (:data:`UNUSED_BY_KERAS`), unless
    imported already.
    """
    global _configured
    if _configured is not None:
        if _configured != threads:
            raise RuntimeError(f"TensorFlow already configured with {_configured} threads, not {threads}")
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault(*ONEDNN)
    os.environ["KERAS_BACKEND"] = "tensorflow"
    with not_importable(UNUSED_BY_KERAS):
        import keras  # noqa: F401  (imports TensorFlow)
        import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    _configured = threads


def limit_numpy_threads(threads: int = 1) -> None:
    """Size NumPy's BLAS thread pool (jobs that predict without TensorFlow)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
