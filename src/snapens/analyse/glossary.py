"""The front page's terms (``summary.md`` and ``headline.rst``): each method
of the study in one line, said from its config (:func:`method_line`), then
the words the tables use (:data:`TERMS`)."""

from __future__ import annotations

from snapens.core.settings import independent, shares_budget
from snapens.train.schedules import CYCLIC

SCHEDULE_WORDS = {
    "cosine_epoch": "cosine annealing from {lr_max} restarted at every cycle, the rate set once per epoch",
    "cosine_step": "cosine annealing from {lr_max} restarted at every cycle, the rate set every iteration",
    "triangular": "a triangular cyclical rate between {lr_min} and {lr_max}, each cycle ending at its minimum",
    "step_decay": "a rate of {lr} multiplied by {factor} at {milestones} of training",
    "constant": "a constant rate of {lr}",
}


def _schedule_text(schedule: dict) -> str:
    params = {k: f"{v:g}" if isinstance(v, float) else v for k, v in schedule.items()}
    if "milestones" in params:
        params["milestones"] = " and ".join(f"{m:.0%}" for m in params["milestones"])
    return SCHEDULE_WORDS[schedule["name"]].format(**params)


def method_line(name: str, spec: dict, grid: dict | None = None) -> str:
    """One line saying what a method trains and averages, from its config."""
    grid = grid or {}
    k = "M" if "members" in grid else spec["members"]
    params = {**spec["schedule"], **({"lr_max": "lr_max"} if "lr_max" in grid else {})}
    schedule = _schedule_text(params)
    if independent(spec):
        schedule = schedule.replace(" restarted at every cycle", " (one cycle per model)")
        if shares_budget(spec):
            text = (
                f"{k} independent models sharing one model's epoch budget (each trains 1/{k} of it) with {schedule}, "
                "averaged: the equal-cost ensemble"
            )
        else:
            text = f"{k} independent models of the full epoch budget each ({k}x one model's cost) with {schedule}, averaged"
    else:
        taken = (
            f"one at the end of each of {k} equal cycles"
            if spec["schedule"]["name"] in CYCLIC
            else f"taken at the ends of {k} equal parts of training"
        )
        text = f"one training run with {schedule}; its {k} snapshots, {taken}, averaged"
        if spec.get("validation_fraction"):
            text += f", with member weights fitted on {spec['validation_fraction']:.0%} of the training rows held out"
    if grid:
        text += "; swept over " + " x ".join(
            f"{key} in {', '.join(f'{v:g}' for v in values)}" for key, values in grid.items()
        )
    return f"`{name}`: {text}."


TERMS = (
    "*final model*: the last snapshot of a run (the model one would deploy without ensembling); *ensemble*: "
    "the average of the predicted probabilities of all of a method's members, fixed in advance.",
    "*best single model*: the one-member runs of a swept method at every peak rate; the ensemble is better "
    "than it only if better than the single model at each rate, worse if worse than one.",
    "*equal-cost ensemble*: independent models sharing one model's epoch budget, of the same size and peak "
    "rate as the snapshot ensemble; *pays*: better than both at equal training cost.",
    "*capped NLL*: the mean negative log-likelihood of the test rows, each row counting at most 13.8 nats "
    "(probability 1e-6); *calibrated*: after temperature scaling (the logits divided by one temperature, "
    "fitted on one half of the test rows and scored on the other, then the other way round).",
    "*DEE* (deep ensemble equivalent): how many independently trained models of the reference would give "
    "the same calibrated NLL.",
    "*verdict*: better or worse when the Holm-adjusted p of a sign-flip test of the mean paired difference "
    "is at most 0.05, else unclear; a *Holm family* is one dataset x metric x comparison x swept method.",
    "*SWA*: stochastic weight averaging, the average of the snapshots' weights (one model) rather than "
    "of their predictions.",
)


def glossary(methods: dict | None, sweeps: dict | None = None, rst: bool = False) -> list[str]:
    """The front page's terms: each method of the study in one line, then
    the words the tables use."""
    lines = ["**Terms.**" if rst else "## Terms", ""]
    for name, spec in (methods or {}).items():
        lines.append(f"- {method_line(name, spec, (sweeps or {}).get(name))}")
    lines += [f"- {term}" for term in TERMS] + [""]
    return [line.replace("`", "``") for line in lines] if rst else lines
