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


def test_volterra_composition_draws_every_kernel_and_the_term_counts(ax):
    boxes = diagrams.volterra_composition(ax, 2, 2)
    assert len(boxes) == 6  # H_0..H_2 and G_0..G_2
    texts = [t.get_text() for t in ax.texts]
    assert "$H_2 * x^2$" in texts and "$G_0 * y^0$" in texts
    assert any("terms per order 3 3 4 2 1 (13 in all)" in t for t in texts)
    assert sum(t.startswith("$H_") for t in texts) == 3
    diagrams.volterra_composition(ax, 1, 3)
    assert any("orders 0 to 3" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="inner_order"):
        diagrams.volterra_composition(ax, 0, 2)
