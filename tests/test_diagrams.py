"""The diagram primitives: what each draws, and clear errors on bad input."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers import diagrams  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield diagrams.canvas(ax, 10, 4, title="t")
    plt.close(fig)


def test_canvas_extent_and_no_axes(ax):
    assert ax.get_xlim() == (0, 10) and ax.get_ylim() == (0, 4)
    assert not ax.axison and ax.get_title() == "t"


def test_primitives_draw_what_they_say(ax):
    box = diagrams.block(ax, (2, 2), "h[n]", width=2, height=1, kind="carrier")
    assert box.get_width() == pytest.approx(2) and box.get_height() == pytest.approx(1)
    assert box.get_x() == pytest.approx(1) and box.get_y() == pytest.approx(1.5)
    m, a = diagrams.mixer(ax, (5, 2)), diagrams.adder(ax, (7, 2), radius=0.4)
    assert m.center == (5, 2) and a.radius == pytest.approx(0.4)
    diagrams.arrow(ax, (3, 2), (4.75, 2), text="x(t)")
    assert [t.get_text() for t in ax.texts] == ["h[n]", "×", "+", "x(t)"]
    assert len(ax.patches) == 4


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda ax: diagrams.block(ax, (1,), "x"), "xy must be an"),
        (lambda ax: diagrams.block(ax, (1, 1), "x", kind="red"), "kind"),
        (lambda ax: diagrams.block(ax, (1, 1), "x", width=0), "width"),
        (lambda ax: diagrams.arrow(ax, (1, 1), (1, 1)), "start and end must differ"),
        (lambda ax: diagrams.mixer(ax, (1, 1), radius=-1), "radius"),
        (lambda ax: diagrams.canvas(ax, 0, 1), "width"),
    ],
)
def test_bad_input_names_the_argument(ax, call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(ax)


def test_relu_dsb_sc_labels_the_chapter_sizes(ax):
    diagrams.relu_dsb_sc(ax, 4096, 0.25)
    texts = [t.get_text() for t in ax.texts]
    assert any("4,096 samples" in t for t in texts)
    assert any("on 25% of the time" in t for t in texts)
    assert "×" in texts                                    # the mixer of eq 22
    with pytest.raises(ValueError, match="on_fraction"):
        diagrams.relu_dsb_sc(ax, 4096, 1.5)
    with pytest.raises((ValueError, TypeError), match="n_samples"):
        diagrams.relu_dsb_sc(ax, 0, 0.5)
