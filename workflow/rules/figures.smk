# Stage 5: figures, one rule per family of the registry
# snapens.report.figures.FAMILIES, drawn from the tables and the config only,
# so redrawing them never retrains or re-evaluates anything. In the report
# they are grouped by dataset.


for family in FAMILIES.values():

    rule:
        name:
            f"plot_{family.name}"
        input:
            **figure_inputs(family),
            code=library_files("plot.py"),
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
            log_file(f"plot_{family.name}", "{dataset}"),
        benchmark:
            benchmark_file(f"plot_{family.name}", "{dataset}")
        localrule: True
        conda:
            "../../environment.yml"
        resources:
            mem_mb=STUDY.figure_mb,
            runtime=5,
        params:
            family=family.name,
            figure=param_figure(family),
        script:
            "../scripts/plot.py"
