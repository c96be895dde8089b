"""The lane trainer against a plain single-model Keras loop at the sweep's
high-rate corners (``cosine_epoch`` with ``lr_max`` 0.3 and 0.1, 10 members,
100 epochs, the tutorial's blobs and 50-unit MLP). At these rates training is
chaotic: the lanes' rounding differs from a single model's, and after 100
epochs the same seed ends at different weights in the two loops. So the
comparison is between distributions over 128 seeds, not seed by seed
(tests/unit/test_training.py checks the algorithm step by step at lr 0.01).
About a minute: the integration tier."""

import math

import numpy as np
import pytest

EPOCHS, MEMBERS, HIDDEN, BATCH, MOMENTUM = 100, 10, 50, 32, 0.9
RATES = (0.3, 0.1)
SEEDS = range(128)  # slots 0-127: four full lanes
METRICS = ("accuracy", "nll")
# Welch and KS, for each rate and metric: 8 p-values, a false alarm in at most
# one run in 1000 (Bonferroni)
FAMILY_ALPHA = 0.001
THRESHOLD = FAMILY_ALPHA / (len(RATES) * len(METRICS) * 2)


def schedule(lr):
    return {"name": "cosine_epoch", "lr_max": lr}


def evaluate(weights, X, y) -> tuple[float, float]:
    """Test accuracy and mean NLL of the true class of the MLP with ``weights``
    (in ``get_weights()`` order), computed in float64."""
    w = [np.asarray(v, dtype=np.float64) for v in weights]
    logits = np.maximum(X @ w[0] + w[1], 0) @ w[2] + w[3]
    nll = np.logaddexp.reduce(logits, axis=1) - logits[np.arange(len(y)), y]
    return float(np.mean(logits.argmax(axis=1) == y)), float(nll.mean())


class SingleModelLoop:
    """One Keras model at a time, trained as ``model.fit`` trains it: a
    forward pass, categorical cross-entropy, ``apply_gradients`` of an SGD
    optimizer with momentum on the study's Keras schedule, batch after batch in
    the given order of every epoch. One compiled function trains a whole run;
    the weights and the optimizer's state are reset between runs."""

    def __init__(self, lr, X, y, n_classes):
        import keras
        import tensorflow as tf

        from snapens.train.model import build_mlp
        from snapens.train.schedules import Budget, keras_schedule

        n = len(y)
        budget = Budget(EPOCHS, MEMBERS, math.ceil(n / BATCH))
        self.model = model = build_mlp(X.shape[1], n_classes, HIDDEN, seed=0)
        self.optimizer = opt = keras.optimizers.SGD(keras_schedule(schedule(lr), budget), momentum=MOMENTUM)
        opt.build(model.trainable_variables)
        self.start = [v.numpy() for v in opt.variables]
        X, Y = tf.constant(X, tf.float32), tf.one_hot(tf.constant(y), n_classes)
        loss_fn = keras.losses.CategoricalCrossentropy()

        def step(idx):
            with tf.GradientTape() as tape:
                loss = loss_fn(tf.gather(Y, idx), model(tf.gather(X, idx), training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))

        def run(orders):  # (epochs, n)
            def epoch(e):
                for start in range(0, n, BATCH):
                    step(orders[e, start : start + BATCH])
                return e + 1

            tf.while_loop(lambda e: e < tf.shape(orders)[0], epoch, [tf.constant(0)])

        self.run = tf.function(run, autograph=False)

    def train(self, initial, orders):
        import tensorflow as tf

        self.model.set_weights(initial)
        for var, value in zip(self.optimizer.variables, self.start, strict=True):
            var.assign(value)
        self.run(tf.constant(orders, dtype=tf.int32))
        return self.model.get_weights()


@pytest.fixture(scope="module")
def initial(tf_runtime, blobs):
    """Each seed's initial weights, from a model built by ``build_mlp``."""
    from snapens.train.model import build_mlp

    return {s: build_mlp(blobs.X_train.shape[1], 3, HIDDEN, s).get_weights() for s in SEEDS}


@pytest.fixture(scope="module")
def finals(tf_runtime, blobs, initial):
    """``finals(loop, lr)``: (seeds, 2) test accuracies and NLLs after the last
    epoch, for ``loop`` in "lanes" (the study's trainer, graph mode as in the
    sweep), "single" (:class:`SingleModelLoop` on the study's per-epoch
    orders), "fixed-order" (the same, its epoch-0 order every epoch) and
    "double-lr" (the same, at twice ``lr``); cached."""
    from snapens.train.loop import RunSpec, Trainer, epoch_orders, train_runs

    cache = {}
    n = len(blobs.y_train)

    def lanes(lr):
        spec = RunSpec(schedule(lr), MEMBERS, EPOCHS, BATCH, MOMENTUM, HIDDEN)
        trainer = Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=False)
        last = {}

        def keep(run, i, epoch, weights):
            if i == MEMBERS:
                assert epoch == EPOCHS - 1
                last[run] = weights

        train_runs(trainer, list(SEEDS), MEMBERS, False, on_snapshot=keep)
        return [last[r] for r in range(len(SEEDS))]

    def single(lr, fixed=False):
        loop = SingleModelLoop(lr, blobs.X_train, blobs.y_train, 3)
        out = []
        for s in SEEDS:
            orders = epoch_orders(n, EPOCHS, s)
            if fixed:
                orders = np.repeat(orders[:1], EPOCHS, axis=0)
            out.append(loop.train(initial[s], orders))
        return out

    def get(loop, lr):
        if (loop, lr) not in cache:
            weights = {
                "lanes": lambda: lanes(lr),
                "single": lambda: single(lr),
                "fixed-order": lambda: single(lr, fixed=True),
                "double-lr": lambda: single(2 * lr),
            }[loop]()
            cache[loop, lr] = np.array([evaluate(w, blobs.X_test, blobs.y_test) for w in weights])
        return cache[loop, lr]

    return get


def compare(a, b, names) -> list[float]:
    """Print the means of both samples of each metric and the p-values of
    Welch's t-test and the two-sample KS test; return the p-values."""
    from scipy import stats

    ps = []
    for j, metric in enumerate(METRICS):
        welch = stats.ttest_ind(a[:, j], b[:, j], equal_var=False).pvalue
        ks = stats.ks_2samp(a[:, j], b[:, j]).pvalue
        print(
            f"  {metric:8s} {names[0]} {a[:, j].mean():.4f} (sd {a[:, j].std(ddof=1):.4f}), "
            f"{names[1]} {b[:, j].mean():.4f} (sd {b[:, j].std(ddof=1):.4f}): "
            f"Welch p {welch:.3g}, KS p {ks:.3g}"
        )
        ps += [welch, ks]
    return ps


@pytest.mark.parametrize("lr", RATES)
def test_lanes_and_a_single_model_loop_reach_the_same_distribution(finals, lr):
    """For each rate, the final test accuracies of the 128 seeds trained in
    lanes and by the single-model loop are two samples of one distribution,
    and so are the final test NLLs. Welch's t-test compares their means, the
    two-sample Kolmogorov-Smirnov test their distributions; over 2 rates x 2
    metrics x 2 tests the family fails at p < 0.001 (Bonferroni: each p-value
    against 0.001 / 8 = 1.25e-4). Both samples start each seed from the same
    weights and batch orders, so they are positively correlated; that makes
    both tests conservative, never too eager. The test below shows they still
    tell another batch-order regime or another rate apart."""
    print(f"\nlr_max {lr}, {EPOCHS} epochs, {len(SEEDS)} seeds:")
    ps = compare(finals("lanes", lr), finals("single", lr), ("lanes", "single"))
    assert min(ps) >= THRESHOLD, f"lanes and single-model loop differ at lr {lr}: p-values {ps}"


@pytest.mark.parametrize("other", ["fixed-order", "double-lr"])
def test_the_comparison_tells_another_algorithm_apart(finals, other):
    """The comparison above, applied at lr_max 0.3 to a loop that repeats one
    batch order every epoch (as a seeded Keras 3 ``model.fit`` on NumPy arrays
    does) or that trains at twice the rate, finds it different from the lanes
    (some p-value below the threshold): the test can fail."""
    print(f"\nlr_max 0.3, {EPOCHS} epochs, {len(SEEDS)} seeds, lanes against {other}:")
    ps = compare(finals("lanes", 0.3), finals(other, 0.3), ("lanes", other))
    assert min(ps) < THRESHOLD, f"{other} not told apart from the lanes: p-values {ps}"
