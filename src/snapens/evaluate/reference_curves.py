"""The DEE reference's subset curves of one run, fast, with the digits of
the direct computation.

For every ``k`` below the run's ``M`` members, :func:`subset_curves` gives
what :func:`snapens.evaluate.ensembling.subset_nlls` and
:func:`~snapens.evaluate.ensembling.subset_calibrated_nll` give, written by
:func:`snapens.core.io.write_csv` (``%.10g``) to the same text, in about a
quarter of their time: the calibrated columns, which fit a temperature per
subset and fold, are the cost (``docs/benchmarks.md``, "DEE reference").

How the digits are kept:

* The direct computation (``calibration._fit``) finds each subset's
  temperature with SciPy's ``brentq`` in ``u = log beta`` (``beta = 1 / T``),
  ``xtol = calibration.XTOL``. ``brentq`` stops with a sign change of its
  computed derivative ``f`` within ``2 delta = XTOL + 4 eps |u|`` of its
  answer; the exact ``f`` increases (``f' = g = beta`` times the rows' mean
  softmax variance ``> 0``) and the computed one is within ``eta`` of it, so
  that answer is within ``2 delta + eta / g`` of the exact root ``u*``.
* Here all subsets of a block and both folds run Halley's method on ``f``
  (``f``, ``f'``, ``f''`` from the first three softmax moments of the rows'
  gaps to their largest class), started at the median root of ``k - 1``.
  Once a Newton step ``s`` is below ``1e-5`` (and ``|f''/f'| |s| < 1e-4``)
  it is taken without evaluating again: by Taylor,
  ``|f(u_new)| <= eta + 0.5 |f''| s^2 (1.001) + |s| g 1e-10``, so
  ``|u_new - u*| <= |f(u_new)| / (0.999 g) + eps |u_new|``.
* A subset's NLL on the other fold moves by ``|dNLL/du|`` per unit of ``u``,
  so the direct value is within ``b = 1.01 |dNLL/du| (both fits' errors) +``
  both roundings of this one; the direct mean over the k-subsets (summed in
  subset order, as here) is within ``B = mean(b) +`` the two sums' rounding.
  If ``m - B`` and ``m + B`` are written alike, the direct value, between
  them, is written alike. Where that does not hold, or a fit lands near the
  ends of ``[T_MIN, T_MAX]``, the direct computation gives that ``k``'s
  value (:func:`subset_curves` counts these fallbacks).
* Fits whose optimum lies beyond the search take the direct verdict
  (``T_MAX`` if its ``f`` at ``T_MAX`` is ``>= 0``, else ``T_MIN`` if ``f`` at
  ``T_MIN`` is ``<= 0``, applied as ``T = 1``) when this ``f`` there is
  beyond ``eta`` of 0 (or, at ``T_MIN``, every row's true class is its
  largest).
* ``eta`` and ``rho`` are first-order bounds on float64 rounding with about
  ten times to spare: the worst difference measured on the default study's
  reference runs was 0.49 of its bound
  (``tests/unit/test_reference_curves.py`` checks each subset's value
  against its bound and the written text against the direct computation).

The uncalibrated columns are :func:`subset_nlls`' own (cheap, exact).
"""

from __future__ import annotations

import math

import numpy as np

from snapens.core.io import FLOAT_FORMAT
from snapens.evaluate.calibration import XTOL
from snapens.evaluate.metrics import FOLDS, SUBSET_NLL
from snapens.evaluate.scores import T_MAX, T_MIN

LO, HI = math.log(1 / T_MAX), math.log(1 / T_MIN)
U = np.finfo(np.float64).eps / 2
EPS = np.finfo(np.float64).eps
BLOCK = 64
MARGIN, NEWTON_AT, MAXITER = 1e-3, 1e-5, 40
FLOOR = -700.0
HOLD = -1e6


class _Fold:
    """One fold's rows of a block of mixtures ``z`` (S, m, C), a strided view."""

    def __init__(self, z, y, true):
        S, m, C = z.shape
        self.n, self.classes = m, C
        planes = [z[:, :, c] for c in range(C)]
        top = np.maximum(planes[0], planes[1])
        for p in planes[2:]:
            np.maximum(top, p, out=top)
        gap = top - true
        self.offset = gap.sum(axis=1) / m  # C-ordered rows: the library's pairwise sums
        self.dy = np.negative(gap, out=gap)
        self.top = top
        if C == 3:
            first = planes[0] == top
            last = ~first & (planes[1] != top)
            d = np.empty((2, S, m))
            np.copyto(d[0], planes[0])
            np.copyto(d[0], planes[1], where=first)
            np.copyto(d[1], planes[2])
            np.copyto(d[1], planes[1], where=last)
            d -= top
            self.implicit = True
        else:
            d = np.stack(planes) - top
            self.implicit = False
        dmin = d.min(axis=(0, 2))
        if dmin.min() < HOLD:  # a probability of 0: exp(beta d) = 0 and e d = 0, as in the library
            np.maximum(d, HOLD, out=d)
            np.maximum(self.dy, HOLD, out=self.dy)
            dmin = d.min(axis=(0, 2))
        self.d, self.dmin = d, dmin
        self.e = np.empty_like(d)
        self.w = [np.empty((S, m)) for _ in range(5)]

    def _exp(self, beta):
        e = np.multiply(self.d, beta[None, :, None], out=self.e)
        if np.any(beta * self.dmin < FLOOR):
            np.maximum(e, FLOOR, out=e)
        return np.exp(e, out=e)

    def _sum(self, e, out):
        np.add(e[0], e[1], out=out)
        for p in e[2:]:
            out += p
        return out

    def moments(self, beta):
        """f, g = f', h = f'' in u, and eta (a bound on the library's rounding of f)."""
        d = self.d
        e = self._exp(beta)
        r, p1, p2, p3, t = self.w
        self._sum(e, r)
        if self.implicit:
            r += 1.0
        np.reciprocal(r, out=r)
        e *= d
        self._sum(e, p1)
        e *= d
        self._sum(e, p2)
        e *= d
        self._sum(e, p3)
        p1 *= r
        p2 *= r
        p3 *= r
        np.multiply(p1, p1, out=t)  # p1^2
        s2 = p2.sum(axis=1) / self.n  # mean E[d^2], for eta
        p2 -= t  # variance
        np.multiply(p2, 3, out=r)
        r += t
        r *= p1
        p3 -= r  # third central moment: p3 - p1 (3 var + p1^2)
        n = self.n
        s1 = p1.sum(axis=1) / n
        f = self.offset + s1
        g = beta * (p2.sum(axis=1) / n)
        h = g + beta * beta * (p3.sum(axis=1) / n)
        # the library's rounding of f: of d (relative U, moving r by <= U (E|d| + 2 beta E d^2)), of
        # beta d, exp, e d, the sums, the division (<= ~10 U E|d|), the pairwise sums and the offset
        # (<= ~12 U each, all terms of one sign): far below 256 U (|offset| + E|d| + beta E d^2)
        eta = 256 * U * (np.abs(self.offset) - s1 + beta * s2)
        return f, g, h, eta

    def nll(self, beta):
        """NLL of softmax(beta z) on the rows, |dNLL/du|, and a bound on the
        rounding of the library's NLL and of this one."""
        d = self.d
        e = self._exp(beta)
        se, m1, lse, t, _ = self.w
        self._sum(e, se)
        e *= d
        self._sum(e, m1)
        bd = beta[:, None]
        if self.implicit:
            np.log1p(se, out=lse)
            se += 1.0
        else:
            np.log(se, out=lse)
        m1 /= se
        np.multiply(self.dy, bd, out=t)  # beta d_y
        m1 *= bd
        m1 -= t  # beta (E d - d_y)
        lse -= t
        nll = lse.mean(axis=1)
        slope = np.abs(m1.mean(axis=1))
        # the library: z / T, max, exp, sum of C, log, + top, - the true class's, mean of n: each
        # rounding relative to |beta top|, |beta z_y| or the row's loss, and the log of a sum near 1,
        # whose error is absolute: up to C U however small the loss (a separable fold's NLL ~1e-8)
        rho = (
            128 * U * (2 * beta * np.abs(self.top).mean(axis=1) - t.mean(axis=1) + nll) + 4 * self.classes * U
        )
        return nll, slope, rho


def _solve(fold, u):
    """Halley on f from ``u``, ending with an unevaluated Newton step: (u, bound on |u - u*|, ok)."""
    S = len(u)
    u = u.copy()
    bound = np.full(S, np.inf)
    lo, hi = np.full(S, LO), np.full(S, HI)
    live = np.ones(S, dtype=bool)
    for _ in range(MAXITER):
        f, g, h, eta = fold.moments(np.exp(u))
        lo = np.where(live & (f < 0), np.maximum(lo, u), lo)
        hi = np.where(live & (f > 0), np.minimum(hi, u), hi)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = f / g
            halley = 2 * f * g / (2 * g * g - f * h)
            # last step: small, and g nearly constant over it (|h / g| |s| < 1e-4)
            last = (g > 0) & (np.abs(newton) < NEWTON_AT) & (np.abs(h) * np.abs(newton) < 1e-4 * g)
            nxt = u - np.where(last, newton, halley)
            wild = ~last & (~np.isfinite(nxt) | (nxt <= lo) | (nxt >= hi))
            # out of the search: try its end first (the optimum may lie beyond it), then bisect
            to_lo = wild & (lo == LO) & (u != LO) & (nxt <= lo)
            to_hi = wild & (hi == HI) & (u != HI) & ~to_lo & (nxt >= hi)
            nxt = np.where(to_lo, LO, np.where(to_hi, HI, np.where(wild, (lo + hi) / 2, nxt)))
            b = (eta + 0.5 * np.abs(h) * newton**2 * 1.001 + np.abs(newton) * g * 1e-10) / (
                0.999 * g
            ) + EPS * np.abs(nxt)
        fin = live & last & np.isfinite(b)
        bound[fin] = b[fin]
        beyond = live & (((u == LO) & (f > 0)) | ((u == HI) & (f < 0)))  # no root inside: see below
        u = np.where(live & ~beyond, nxt, u)
        live &= ~fin & ~beyond
        if not live.any():
            break
    ok = np.isfinite(bound) & (u - LO > MARGIN) & (HI - u > MARGIN)
    if not ok.all():
        # the library's own verdicts at the ends of the search: T = 100 when its f(0.01) >= 0, else
        # T = 0.01 when its f(100) <= 0; both applied as T = 1. Taken when our f is beyond eta of 0.
        f_lo, _, _, eta_lo = fold.moments(np.full(S, 1 / T_MAX))
        f_hi, _, _, eta_hi = fold.moments(np.full(S, 1 / T_MIN))
        flat = ~ok & (f_lo > eta_lo)
        # the library's f(100) <= 0 for sure: ours is below -eta, or the offset is 0 (the true class is
        # every row's largest: the library's f is 0 plus a sum of terms <= 0; our offset is its bits)
        sharp = ~ok & ~flat & (f_lo < -eta_lo) & ((f_hi < -eta_hi) | (fold.offset == 0))
        u[flat], u[sharp] = LO, HI  # T_MAX, T_MIN: applied as T = 1
        bound[flat | sharp] = 0.0
        ok |= flat | sharp
    return u, bound, ok


def _ordered_mean(values) -> float:
    total = 0.0
    for v in values.tolist():
        total += v
    return total / len(values)


def _safe(m: float, bound: float) -> bool:
    """Whether every value in [m - bound, m + bound] is written as m is (write_csv's format)."""
    return (FLOAT_FORMAT % (m - bound)) == (FLOAT_FORMAT % (m + bound))


# the folds of snapens.evaluate.metrics.fold_rows, as strided views
FOLD_SLICES = {"even": slice(0, None, 2), "odd": slice(1, None, 2)}


def _block_nlls(mix, sel, shape, ys, u_start):
    """One block's fits on each fold and the NLLs on the other: per fold
    ``(values, bounds, proved)`` and per fold the fitted ``u``."""
    subsets, n, classes = shape
    true = mix[:, sel]  # (subsets, rows): the true class's log-probability
    z = mix.reshape(subsets, n, classes)
    if not np.isfinite(z).all():
        z = np.maximum(z, -1e300)  # calibration._finite
    folds = {
        f: _Fold(z[:, rows], ys[f], np.ascontiguousarray(true[:, rows])) for f, rows in FOLD_SLICES.items()
    }
    fitted = {f: _solve(folds[f], np.full(subsets, u_start[f])) for f in FOLDS}
    out, roots = {}, {}
    for f, other in zip(FOLDS, reversed(FOLDS), strict=True):
        u, err, ok = fitted[other]
        at_bound = (u == LO) | (u == HI)
        nll, slope, rho = folds[f].nll(np.where(at_bound, 1.0, np.exp(u)))  # calibration.applied
        direct_err = np.where(at_bound, 0.0, err + XTOL + 4 * EPS * np.abs(u))
        out[f] = (nll, 1.01 * slope * (err + direct_err) + 2 * rho + slope * 4 * EPS, ok)
        roots[other] = u
    return out, roots


def subset_curves(
    log_probs, y, block: int = BLOCK, record: dict | None = None
) -> dict[int, dict[str, float]]:
    """``{k: subset_nlls(lp, y, k) | subset_calibrated_nll(lp, y, k)}`` for
    ``k = 1..M-1``, written by ``write_csv`` as those are (see the module's
    docstring); ``subset_calibrated_nll`` itself gives a fold's value of a
    ``k`` whose digits are not proved. ``record``, if given, receives each
    subset's calibrated ``values`` and ``bounds`` per fold and the number of
    ``fallbacks``."""
    from snapens.evaluate.ensembling import (
        mix_scaled,
        scaled_members,
        subset_calibrated_nll,
        subset_nlls,
        subset_weights,
    )

    lp = np.asarray(log_probs, dtype=np.float64)
    y = np.asarray(y)
    members, n, classes = lp.shape
    flat = lp.reshape(members, n * classes)
    scaled, top = scaled_members(flat)  # computed once for every subset (log_mix's arithmetic)
    sel = np.arange(n) * classes + y  # the true class's column
    ys = {f: y[s] for f, s in FOLD_SLICES.items()}
    out, u_start, fallbacks = {}, dict.fromkeys(FOLDS, 0.0), 0
    for k in range(1, members):
        weights = subset_weights(members, k)
        parts = {f: ([], [], []) for f in FOLDS}
        roots = {f: [] for f in FOLDS}
        for a in range(0, len(weights), block):
            w = weights[a : a + block]
            fits, block_roots = _block_nlls(
                mix_scaled(w, scaled, top, flat), sel, (len(w), n, classes), ys, u_start
            )
            for f in FOLDS:
                for part, value in zip(parts[f], fits[f], strict=True):
                    part.append(value)
                roots[f].append(block_roots[f])
        row, direct = subset_nlls(lp, y, k), None
        for f in FOLDS:
            values, bounds, proved = (np.concatenate(p) for p in parts[f])
            mean = _ordered_mean(values)
            bound = bounds.mean() + 4 * len(values) * U * np.abs(values).max() + 2 * U * abs(mean)
            column = f"{SUBSET_NLL}_calibrated_{f}"
            if proved.all() and np.isfinite(bound) and _safe(mean, bound):
                row[column] = mean
            else:
                direct = direct or subset_calibrated_nll(lp, y, k)
                row[column] = direct[column]
                fallbacks += 1
            if record is not None:
                record.setdefault("values", {}).setdefault(f, []).append(values)
                record.setdefault("bounds", {}).setdefault(f, []).append(bounds)
        out[k] = row
        u_start = {f: float(np.median(np.concatenate(roots[f]))) for f in FOLDS}
    if record is not None:
        record["fallbacks"] = fallbacks
    return out
