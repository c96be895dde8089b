"""The tutorial's multilayer perceptron."""

from __future__ import annotations

import numpy as np

INIT_STREAM, SHUFFLE_STREAM, MEMBER_STREAM = 0, 1, 2


def init_seeds(seed: int, n: int = 2) -> list[int]:
    """``n`` 31-bit weight-initialisation seeds derived from one run seed.

    Initialisation and shuffling draw from separate streams of the run seed
    (``SeedSequence([seed, stream])``), so neither depends on the other.
    """
    state = np.random.SeedSequence([seed, INIT_STREAM]).generate_state(n)
    return [int(s) for s in state % (2**31 - 1)]


def build_mlp(n_features: int, n_classes: int, hidden_units: int, seed: int):
    """input -> Dense(hidden, relu) -> Dense(n_classes, softmax), seeded init.

    Each layer's Glorot-uniform kernel has its own seed derived from ``seed``,
    so the weights do not depend on anything else that ran in the process.
    """
    import keras

    s_hidden, s_out = init_seeds(seed)
    return keras.Sequential(
        [
            keras.Input(
                shape=(n_features,), name="input_layer"
            ),  # named as in a fresh process, whatever ran before
            keras.layers.Dense(
                hidden_units,
                activation="relu",
                kernel_initializer=keras.initializers.GlorotUniform(seed=s_hidden),
                name="hidden",
            ),
            keras.layers.Dense(
                n_classes,
                activation="softmax",
                kernel_initializer=keras.initializers.GlorotUniform(seed=s_out),
                name="output",
            ),
        ],
        name="mlp",
    )


def initial_weights(n_features: int, n_classes: int, hidden_units: int, seed: int) -> list:
    """The initial weights of :func:`build_mlp` for ``seed`` (in
    ``get_weights()`` order), from its seeded initialisers alone, without
    building a model (~50x faster; tested equal)."""
    import keras

    s_hidden, s_out = init_seeds(seed)
    glorot = keras.initializers.GlorotUniform
    return [
        np.asarray(glorot(seed=s_hidden)((n_features, hidden_units), dtype="float32")),
        np.zeros(hidden_units, dtype=np.float32),
        np.asarray(glorot(seed=s_out)((hidden_units, n_classes), dtype="float32")),
        np.zeros(n_classes, dtype=np.float32),
    ]


def member_seed(seed: int, member: int) -> int:
    """Seed of the ``member``-th (1-based) independently trained model of a run."""
    state = np.random.SeedSequence([seed, MEMBER_STREAM, member]).generate_state(1)
    return int(state[0] % (2**31 - 1))
