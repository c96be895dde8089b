"""The figure check (snapens.report.layout): it passes a clean figure and
fails one made to break each rule: two texts at one place, tick labels of
one axis run together, an empty axes, a figure wider than the limit, a
legend over the data; the plot job fails on them when strict."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from snapens.report import layout  # noqa: E402


def clean():
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot([1, 2, 3], [3, 1, 2], label="a curve")
    ax.set_title("a title")
    ax.set_xlabel("x (unit)")
    ax.set_ylabel("y (unit)")
    fig.legend(loc="outside lower center")
    fig.suptitle("the question?")
    return fig


def test_a_clean_figure_has_no_problem():
    assert layout.problems(clean()) == []


def test_two_texts_at_the_same_place_overlap():
    fig = clean()
    ax = fig.axes[0]
    ax.text(2, 2, "first text")
    ax.text(2, 2, "second text")
    found = layout.problems(fig)
    assert len(found) == 1 and "overlapping text" in found[0]
    assert "'first text'" in found[0] and "'second text'" in found[0]


def test_a_title_running_into_the_next_panels_title_overlaps():
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_title("a title far too long for its panel, into the next one")
    assert any("title and axes 2" in p for p in layout.problems(fig))


def test_tick_labels_of_one_axis_running_together_overlap():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot(range(20), range(20))
    ax.set_xticks(range(20), [f"label {i}" for i in range(20)])
    found = layout.problems(fig)
    assert found and all("x tick label" in p for p in found)


def test_empty_and_invisible_texts_do_not_count():
    fig = clean()
    ax = fig.axes[0]
    ax.text(2, 2, "")
    ax.text(2, 2, "hidden", visible=False)
    ax.text(2, 2, "shown")
    assert layout.problems(fig) == []


def test_an_empty_axes_is_a_problem_unless_turned_off():
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    axes[0].plot([0, 1], [0, 1])
    found = layout.problems(fig)
    assert len(found) == 2 and all("empty axes" in p for p in found)
    axes[1].set_axis_off()  # deliberately blank
    axes[2].text(0.5, 0.5, "nothing to draw: why")  # says why it is empty
    assert layout.problems(fig) == []


def test_an_axes_of_only_missing_values_is_empty():
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    axes[0].plot([0, 1], [float("nan")] * 2)
    axes[1].imshow([[float("nan"), float("nan")]])
    assert sum("empty axes" in p for p in layout.problems(fig)) == 2


def test_the_limit_is_16_inches_2400_pixels_as_saved():
    """Shown whole on a 1920-pixel screen, a 2400-pixel figure keeps its
    10-point text 17 pixels high; the figures are laid out within 15 inches."""
    from snapens.report import style

    assert (layout.MAX_WIDTH, layout.MAX_WIDTH * layout.DPI) == (16.0, 2400.0)
    assert style.WIDTH < layout.MAX_WIDTH


def test_a_figure_wider_than_the_limit_is_a_problem():
    """Wider as saved: what is drawn, cropped (the layout fills the canvas)."""
    fig, ax = plt.subplots(figsize=(layout.MAX_WIDTH + 2, 3), layout="constrained")
    ax.plot([0, 1], [0, 1])
    found = layout.problems(fig)
    assert len(found) == 1 and found[0].startswith("too wide")
    assert layout.problems(fig, max_width=layout.MAX_WIDTH + 4) == []


def test_a_legend_over_the_data_is_a_problem_outside_it_is_not():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(range(10), range(10), "o", label="points along the diagonal")
    ax.legend(loc="center")
    assert layout.problems(fig) == ["legend over data: axes 1"]
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    assert layout.problems(fig) == []


def test_texts_of_subfigures_are_checked():
    fig = plt.figure(figsize=(6, 4), layout="constrained")
    top, body = fig.subfigures(2, 1, height_ratios=[1, 6])
    body.subplots().plot([0, 1], [0, 1])
    top.suptitle("a question")
    top.text(0.5, 0.98, "over the question", ha="center", va="top")
    assert any("overlapping text" in p for p in layout.problems(fig))


def test_check_logs_and_fails_only_when_strict(monkeypatch, caplog):
    fig = clean()
    fig.axes[0].text(2, 2, "one")
    fig.axes[0].text(2, 2, "two")
    monkeypatch.delenv(layout.CHECK_VARIABLE, raising=False)
    assert len(layout.check(fig, "fam_d")) == 1
    assert "fam_d: overlapping text" in caplog.text
    monkeypatch.setenv(layout.CHECK_VARIABLE, "strict")
    with pytest.raises(ValueError, match="fam_d: 1 layout problem"):
        layout.check(fig, "fam_d")


def overlapping_figure(dataset, **_):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.set_title(f"{dataset}: a title")
    ax.text(0.5, 0.5, "one", transform=ax.transAxes)
    ax.text(0.5, 0.5, "two", transform=ax.transAxes)
    return fig


def test_the_plot_job_fails_on_a_problem_when_strict_and_draws_nothing(monkeypatch, tmp_path):
    from snapens.report.figures import FAMILIES, Family
    from snapens.report.rule_plot import plot

    monkeypatch.setitem(
        FAMILIES, "broken", Family("broken", "Broken", function=f"{__name__}:overlapping_figure")
    )
    monkeypatch.setenv(layout.CHECK_VARIABLE, "strict")
    with pytest.raises(ValueError, match="broken_d: 1 layout problem"):
        plot("broken", {}, "d", {}, tmp_path / "broken_d")
    assert not list(tmp_path.iterdir())
    monkeypatch.setenv(layout.CHECK_VARIABLE, "warn")
    plot("broken", {}, "d", {}, tmp_path / "broken_d")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken_d.png", "broken_d.svg"]
