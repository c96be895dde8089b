# Stage 4: across repeats, the study's tables.


rule summarise:
    input:
        data=STUDY.every_data_file(),
        manifests=STUDY.manifests(),
        code=library_files("summarise.py"),
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
        mem_mb=STUDY.tables_mb,
        runtime=10,
    params:
        runs=STUDY.runs(),
        datasets=DATASETS,
        data_files=STUDY.data_file_counts(),  # files per dataset
        evaluation=config["evaluation"],
        title=config["study"]["title"],
        references=STUDY.dee_references(),
        study=study_config(config),
        sweeps=STUDY.grid_points,
        methods=STUDY.method_specs,
        baselines=config["baselines"],
        last_rates=STUDY.last_snapshot_rates(),
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
        manifests=STUDY.manifests(),
        options=configfile_options(),
    script:
        "../scripts/verify.py"
