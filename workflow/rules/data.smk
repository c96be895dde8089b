# Stage 1: the datasets, fixed across repeats.


rule make_dataset:
    input:
        source=input_dataset_source,
        code=library_files("make_dataset.py"),
    output:
        LAYOUT.data,
    log:
        log_file("make_dataset", "{dataset}"),
    benchmark:
        benchmark_file("make_dataset", "{dataset}")
    priority: DATA_PRIORITY
    localrule: True
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    params:
        spec=param_dataset_spec,
    script:
        "../scripts/make_dataset.py"


# A `redraw: true` dataset: each repeat's own draw, the generator seeded with
# the repeat's seed, one job per chunk of seeds; every method of a seed reads
# the same file.
rule draw_dataset:
    input:
        code=library_files("draw_dataset.py"),
    output:
        directory(LAYOUT.draws),
    log:
        log_file("draw_dataset", "{dataset}/{chunk}"),
    benchmark:
        benchmark_file("draw_dataset", "{dataset}/{chunk}")
    priority: DATA_PRIORITY
    localrule: True
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    params:
        spec=param_dataset_spec,
        seeds=param_chunk_seeds,
    script:
        "../scripts/draw_dataset.py"
