"""TensorFlow start-up: backend, thread pools and determinism, set once per process."""

from __future__ import annotations

import os

_configured: int | None = None


def configure(threads: int = 1, deterministic: bool = True) -> None:
    """Import TensorFlow with ``threads`` intra- and inter-op threads.

    Must run before any TensorFlow op executes (thread pools cannot change
    afterwards); calling it again with the same ``threads`` is a no-op.
    """
    global _configured
    if _configured is not None:
        if _configured != threads:
            raise RuntimeError(
                f"TensorFlow already configured with {_configured} threads, not {threads}"
            )
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    _configured = threads
