# Stage 4: across repeats, the study's tables.


rule summarise:
    input:
        data=[f for d in DATASETS for f in data_files(d)],
        manifests=all_manifests(),
        code=code("summarise.py"),
    output:
        **{
            name: (
                report(
                    path,
                    category="Tables",
                    subcategory="Across repeats",
                    caption="../report/tables.rst",
                    labels={"table": path.rsplit("/", 1)[-1]},
                )
                if name in ("summary", "paired", "dee", "sweep")
                else path
            )
            for name, path in LAYOUT.tables.items()
        },
    log:
        log_file("summarise"),
    benchmark:
        benchmark_file("summarise")
    localrule: True
    conda:
        "../../environment.yml"
    # reads the runs' tables in this many processes (Snakemake scales it down
    # to --cores); nothing is left to run beside it but the figures that do
    # not need it. A number, not workflow.cores: that is unset without --cores
    # (--report, --detailed-summary)
    threads: 4
    resources:
        mem_mb=cost.tables_mb(len(study_runs())),
        runtime=10,
    params:
        runs=study_runs(),
        datasets=DATASETS,
        data_files={d: len(data_files(d)) for d in DATASETS},  # files per dataset
        evaluation=config["evaluation"],
        title=config["study"]["title"],
        references=independent_reference(),
        study=study_config(config),
        sweeps=GRID_POINTS,
        methods=METHOD_SPECS,
        baselines=config["baselines"],
        last_rates=last_snapshot_rates(),
    script:
        "../scripts/summarise.py"


# `snakemake verify` (make verify): every manifest of the study against the
# files on disk; names each file missing or changed, and the one command that
# redoes the jobs that wrote them. Not part of the study's targets.
rule verify:
    log:
        log_file("verify"),
    benchmark:
        benchmark_file("verify")
    localrule: True
    conda:
        "../../environment.yml"
    params:
        manifests=all_manifests(),
        options=configfile_options(),
    script:
        "../scripts/verify.py"
