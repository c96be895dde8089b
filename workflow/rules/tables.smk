# Stage 4: across repeats, the study's tables.


rule summarise:
    input:
        data=expand(DATA, dataset=DATASETS),
        manifests=all_manifests(),
    output:
        **{
            name: (
                report(path, category="Tables", caption="../report/tables.rst")
                if name in ("summary", "paired", "dee", "sweep")
                else path
            )
            for name, path in TABLES.items()
        },
    log:
        "results/logs/summarise.log",
    benchmark:
        "results/benchmarks/summarise.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=tables_memory(),
        runtime=10,
    params:
        runs=study_runs(),
        data={d: DATA.format(dataset=d) for d in DATASETS},
        evaluation=config["evaluation"],
        title=config["study"]["title"],
        references=independent_reference(),
        study=study_config(config),
        sweeps=GRID_POINTS,
        methods=METHOD_SPECS,
    script:
        "../scripts/summarise.py"
