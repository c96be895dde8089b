"""The body of rule ``summarise``: the study tables from every run's tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from snapens.analyse.statistics import FLIPS
from snapens.core.io import write_csv, write_json, write_text
from snapens.core.logs import log, log_startup
from snapens.core.manifests import check_files
from snapens.core.paths import as_file_list
from snapens.core.settings import config_hash, seeds
from snapens.data.dataset import load_dataset, load_draws, npz_row_counts
from snapens.data.kinds import draw_spec
from snapens.evaluate.runfiles import check_numerics, read_run_tables, table_columns
from snapens.train.schedules import peak_rate


def first_file(paths: Sequence[str | Path]) -> Path:
    """A dataset's file, or the first draw in its first draw directory (every
    draw has as many test rows)."""
    path = Path(paths[0])
    return min(path.glob("seed-*.npz")) if path.is_dir() else path


def test_draws(spec, paths: Sequence[str | Path], study, dataset: str) -> list[tuple[dict, object, object]]:
    """``(spec, X_test, y_test)`` of each draw of a dataset: its one file, or,
    redrawn per repeat, the file of each of its seeds with that seed's spec."""
    if spec is None or not spec.get("redraw"):
        data = load_dataset(paths[0])
        return [(spec, data.X_test, data.y_test)]
    drawn = seeds(study, dataset)
    return [
        (draw_spec(spec, s), d.X_test, d.y_test) for s, d in zip(drawn, load_draws(paths, drawn), strict=True)
    ]


def _read_run(args: tuple[str, str, int, str | Path, int | None, int]) -> tuple[dict, dict]:
    """One run's checked tables and its row of ``runs.csv``."""
    from snapens.analyse import tables

    dataset, method, seed, run_dir, members, test_rows = args
    run_tables = read_run_tables(run_dir, members)
    return run_tables, tables.run_row(dataset, method, seed, run_tables, test_rows)


def read_runs(jobs: Sequence[tuple], workers: int = 1) -> list[tuple[dict, dict]]:
    """:func:`_read_run` of every job, in order; with ``workers`` > 1 in that
    many processes (a sweep's thousands of small tables: reading them is most
    of this rule's time, and at the end of a study the other cores are idle)."""
    if workers <= 1 or len(jobs) < 2 * workers:
        return [_read_run(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_read_run, jobs, chunksize=max(1, len(jobs) // (8 * workers))))


def summarise(
    runs: Sequence[tuple[str, str, int, str | Path]],
    data: dict[str, str | Path | Sequence[str | Path]],
    outputs: dict[str, str | Path],
    evaluation: dict[str, Any],
    title: str,
    references: dict[str, str] | None = None,
    study: dict[str, Any] | None = None,
    sweeps: dict[str, dict[str, Any]] | None = None,
    methods: dict[str, dict[str, Any]] | None = None,
    manifests: Sequence[str | Path] = (),
    baselines: dict[str, dict[str, str]] | None = None,
    last_rates: dict[str, dict[str, float]] | None = None,
    threads: int = 1,
) -> None:
    """Study tables from every run (``(dataset, method, seed, run_dir)``; ``data``
    maps a dataset to its file, or to its draws, one per seed of the dataset, for
    a ``redraw: true`` dataset): the tables named in :mod:`snapens.analyse.tables`,
    written to ``outputs[name]``. DEEs use the reference method of each
    dataset in ``references``. ``study`` (the resolved config without
    ``execution``) is written with its hash to ``outputs["study"]``, and the
    hash is quoted in the markdown and headline. ``sweeps`` maps each grid
    point's method name to its base method and values
    (:func:`snapens.core.sweeps.grid_points`), for ``sweep.csv``; ``methods`` is
    every method with sweeps expanded (to check each run's member count).
    ``baselines`` is the config's section of that name: the equal-cost
    comparisons of a swept method, whose full-cost baseline then replaces
    ``references`` as the DEE's reference. ``last_rates`` maps a dataset and
    method to the rate at its last snapshot as a fraction of the peak
    (:func:`snapens.train.schedules.last_snapshot_fraction`), for ``sweep.csv``.
    The per-run tables are first checked against the run-level jobs'
    ``manifests``, then read by ``threads`` processes."""
    check_runs(runs, manifests)
    log_startup()
    files = {dataset: as_file_list(paths) for dataset, paths in data.items()}
    run_df, records = read_study(runs, files, methods, threads)
    built = build_tables(
        run_df, records, files, evaluation, study, sweeps, methods, baselines, last_rates, references
    )
    write_tables(built, outputs)
    write_front_pages(built, outputs, evaluation["confidence"], title, study)
    log.info("summarised %d runs of %d dataset x method pairs", len(run_df), len(built.summary))


def check_runs(runs: Sequence[tuple], manifests: Sequence[str | Path]) -> None:
    """Before anything is read: every run's tables against the manifests of the
    jobs that wrote them, and one dataset x method's runs made under the same
    numeric settings."""
    if manifests:
        check_files(manifests, [d for *_, d in runs], [f"{name}.csv" for name in table_columns()])
    check_numerics(runs)


def read_study(runs: Sequence[tuple], files: dict, methods: dict | None, threads: int):
    """Every run's tables, read by ``threads`` processes (each run's member
    count checked against ``methods``): ``runs.csv``'s frame and the records
    ``(dataset, method, seed, tables)``."""
    rows = {dataset: npz_row_counts(first_file(paths))["y_test"] for dataset, paths in files.items()}
    members = {m: spec["members"] for m, spec in (methods or {}).items()}
    read = read_runs([(ds, m, seed, d, members.get(m), rows[ds]) for ds, m, seed, d in runs], threads)
    records = [
        (ds, m, seed, run_tables) for (ds, m, seed, _), (run_tables, _) in zip(runs, read, strict=True)
    ]
    return pd.DataFrame([row for _, row in read]), records


@dataclass
class StudyTables:
    """The study's tables, as :func:`build_tables` makes them."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    paired: pd.DataFrame
    curves: pd.DataFrame
    learning: pd.DataFrame
    dee: pd.DataFrame
    sweep: pd.DataFrame
    diversity: pd.DataFrame
    limits: pd.DataFrame
    study: dict[str, Any] | None


def build_tables(
    run_df, records, files, evaluation, study, sweeps, methods, baseline_specs, last_rates, references
) -> StudyTables:
    """Every study table from the runs' (:func:`summarise` names the arguments;
    ``baseline_specs`` is its ``baselines``, the config's section)."""
    from snapens.analyse import tables
    from snapens.analyse.baselines import Baselines
    from snapens.analyse.dee_table import dee_references, dee_table
    from snapens.analyse.limits import draw_values, limits_by_seed, limits_table
    from snapens.analyse.paired_table import paired_table
    from snapens.analyse.sweep_table import sweep_table

    confidence = evaluation["confidence"]
    points = sweeps or {}
    baselines = [Baselines(base, **spec) for base, spec in (baseline_specs or {}).items()]
    # the Bayes-optimal classifier where the data's densities are known
    specs = (study or {}).get("datasets", {})
    tests = {d: test_draws(specs.get(d), paths, study, d) for d, paths in files.items()}
    values = draw_values(specs, tests, evaluation)
    per_seed = limits_by_seed(specs, values, {d: seeds(study, d) for d in values}) if study else {}
    summary = tables.summary_table(run_df, confidence)
    flips = evaluation.get("sign_flips", FLIPS)  # every paired comparison's sign-flip test
    paired = paired_table(run_df, confidence, flips, points, baselines, per_seed)
    long = tables.long_table((ds, m, seed, run["members"], run["ensemble"]) for ds, m, seed, run in records)
    rates = {name: peak_rate(spec["schedule"]) for name, spec in (methods or {}).items()}
    refs = dee_references(references or {}, points, baselines, list(files))
    resamples = evaluation.get("bootstrap", 10_000)  # the DEE's percentile bootstrap
    dee = dee_table(run_df, long, refs, confidence, resamples, rates)
    return StudyTables(
        runs=run_df,
        summary=summary,
        paired=paired,
        curves=tables.curve_table(long, confidence),
        learning=tables.learning_curve_table((ds, m, seed, run["training"]) for ds, m, seed, run in records),
        dee=dee,
        sweep=sweep_table(summary, paired, dee, points, baselines, last_rates),
        diversity=tables.diversity_summary((ds, m, seed, run["diversity"]) for ds, m, seed, run in records),
        limits=limits_table(specs, tests, evaluation, values),
        study=study,
    )


def write_tables(built: StudyTables, outputs: dict[str, str | Path]) -> None:
    """The CSV tables and ``study.json`` (the resolved config and its hash)."""
    for name in ("runs", "summary", "paired", "curves", "learning", "dee", "sweep", "diversity", "limits"):
        write_csv(getattr(built, name), outputs[name])
    if built.study is not None and "study" in outputs:
        digest = config_hash(built.study)
        write_json(
            {"config_sha256": digest, "runs": len(built.runs), "config": built.study}, outputs["study"]
        )


def write_front_pages(built: StudyTables, outputs, confidence: float, title: str, study) -> None:
    """``summary.md`` and the report's ``headline.rst``."""
    from snapens.analyse.headline import headline_rst
    from snapens.analyse.summary import summary_markdown
    from snapens.data.kinds import redrawn_pairs

    digest = config_hash(study) if study is not None else None
    draws = redrawn_pairs((study or {}).get("datasets", {}))
    sources = {"sweep": built.sweep, "limits": built.limits, "draws": draws, "dee": built.dee, "study": study}
    write_text(
        summary_markdown(built.summary, built.paired, confidence, title, config_hash=digest, **sources),
        outputs["markdown"],
    )
    write_text(
        headline_rst(built.summary, built.paired, confidence, config_hash=digest, **sources),
        outputs["headline"],
    )
