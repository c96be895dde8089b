# Stage 5: figures, one rule per family of the registry snapens.figures.FAMILIES,
# drawn from the tables and the config only, so redrawing them never retrains
# or re-evaluates anything. In the report they are grouped by dataset.


for family in FAMILIES.values():

    rule:
        name:
            f"plot_{family.name}"
        input:
            **family.inputs,
        output:
            png=report(
                figure_file(family, "png"),
                caption=f"../report/{family.name}.rst",
                category=family.category,
                subcategory="{dataset}",
                labels={"figure": family.title, "dataset": "{dataset}"},
            ),
            svg=figure_file(family, "svg"),
        log:
            f"results/logs/plot_{family.name}/{{dataset}}.log",
        benchmark:
            f"results/benchmarks/plot_{family.name}/{{dataset}}.tsv"
        localrule: True
        conda:
            "../../environment.yml"
        resources:
            mem_mb=figure_memory(),
            runtime=5,
        params:
            family=family.name,
            figure=figure_params(family),
        script:
            "../scripts/plot.py"
