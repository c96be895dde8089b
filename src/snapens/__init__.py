"""Snapshot ensembles, studied reproducibly.

The modules are importable on their own; only :mod:`snapens.model`,
:mod:`snapens.training` and :mod:`snapens.runtime` import TensorFlow/Keras, so
evaluation, statistics and plotting stay cheap to start.
"""

__version__ = "0.1.0"
