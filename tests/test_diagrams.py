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


# ---------------------------------------------------------------- chapter 1: paper figs 2 and 4
@pytest.mark.parametrize("k", [1, 2, 4])
def test_multicarrier_diagram_has_one_mixer_and_carrier_per_message(ax, k):
    diagrams.multicarrier_diagram(ax, n_carriers=k)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("×") == k and texts.count("+") == 1  # eq 4: k products, one sum
    assert [t for t in texts if t.startswith("$\\cos")] == [
        f"$\\cos(2\\pi f_{{{i}}} n)$" for i in range(1, k + 1)
    ]
    assert "$s[n]$" in texts


@pytest.mark.parametrize("p, q, k", [(2, 3, 2), (1, 1, 1), (3, 2, 4)])
def test_mimo_diagram_has_one_gain_per_antenna_pair(ax, p, q, k):
    diagrams.mimo_diagram(ax, n_tx=p, n_rx=q, n_carriers=k)
    texts = [t.get_text() for t in ax.texts]
    gains = sorted(t for t in texts if t.startswith("$h_"))
    assert gains == sorted(f"$h_{{{j},{i}}}$" for j in range(1, q + 1) for i in range(1, p + 1))
    assert texts.count("+") == q  # r_q = sum_p h_qp s_p
    assert sum(t.startswith(f"{k}-carrier") for t in texts) == p
    assert [t for t in texts if t.startswith("$r_")] == [f"$r_{{{j}}}[n]$" for j in range(1, q + 1)]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda ax: diagrams.multicarrier_diagram(ax, 0), "n_carriers"),
        (lambda ax: diagrams.mimo_diagram(ax, n_tx=0), "n_tx"),
        (lambda ax: diagrams.mimo_diagram(ax, n_rx=2.5), "n_rx"),
    ],
)
def test_chapter1_diagrams_reject_bad_sizes(ax, call, match):
    with pytest.raises(ValueError, match=match):
        call(ax)
