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


def _boxes(ax):
    return [p for p in ax.patches if p.__class__.__name__ == "FancyBboxPatch"]


@pytest.mark.parametrize("k, shown", [(3, 3), (5, 5), (9, 5)])
def test_conv_as_multicarrier_draws_one_branch_per_tap(ax, k, shown):
    diagrams.conv_as_multicarrier(ax, kernel_size=k)
    texts = [t.get_text() for t in ax.texts]
    carriers = [t for t in texts if t.startswith("w[")]
    assert len(carriers) == shown  # one mixer per drawn tap
    assert carriers[-1] == f"w[{k - 1}]" and texts.count("×") == shown
    assert ("⋮" in texts) == (k > 5) and f"K = {k}" in ax.get_title()
    assert len(_boxes(ax)) == shown + 2  # x[n], the copies, y[n]


def test_conv_as_mimo_links_every_drawn_input_to_every_output(ax):
    diagrams.conv_as_mimo(ax, in_channels=2, out_channels=3, kernel_size=3)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("+") == 3 and "$x_{2}[n]$" in texts and "$y_{3}[n]$" in texts
    arrows = [p for p in ax.patches if p.__class__.__name__ == "FancyArrowPatch"]
    assert len(arrows) == 2 + 3 + 2 * 3  # inputs, outputs, one path per (p, q)
    ax.cla()
    diagrams.conv_as_mimo(
        ax, in_channels=64, out_channels=128
    )  # elided: 4 of each drawn, and a dotted row
    assert "P = 64" in ax.get_title() and [t.get_text() for t in ax.texts].count("+") == 4


def test_forward_and_table(ax):
    diagrams.forward_as_modulation(ax, n_units=5, n_convs=8)
    texts = [t.get_text() for t in ax.texts]
    assert "basic unit x 5 (8 conv layers)" in texts and "ReLU" in texts
    assert len(_boxes(ax)) == 2 * 3 + 4
    ax.cla()
    rows = [("block", "convolution", "multi-carrier MIMO AM"), ("objective", "a", "b")]
    diagrams.correspondence_table(ax, rows)
    assert len(_boxes(ax)) == 4 and "multi-carrier MIMO AM" in [t.get_text() for t in ax.texts]
    with pytest.raises(ValueError, match="triples"):
        diagrams.correspondence_table(ax, [("a", "b")])
    with pytest.raises((ValueError, TypeError), match="n_units"):
        diagrams.forward_as_modulation(ax, n_units=0)
    with pytest.raises((ValueError, TypeError), match="kernel_size"):
        diagrams.conv_as_multicarrier(ax, kernel_size=0)


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


def test_relu_dsb_sc_labels_the_chapter_sizes(ax):
    diagrams.relu_dsb_sc(ax, 4096, 0.25)
    texts = [t.get_text() for t in ax.texts]
    assert any("4,096 samples" in t for t in texts)
    assert any("on 25% of the time" in t for t in texts)
    assert "×" in texts  # the mixer of eq 22
    with pytest.raises(ValueError, match="on_fraction"):
        diagrams.relu_dsb_sc(ax, 4096, 1.5)
    with pytest.raises((ValueError, TypeError), match="n_samples"):
        diagrams.relu_dsb_sc(ax, 0, 0.5)


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


def test_pooling_diagram_draws_both_paths_with_the_chapter_sizes(ax):
    boxes = diagrams.pooling_diagram(ax, window=2, stride=2, n_in=4096, n_out=2048)
    assert len(boxes) == 5
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "1}{2}1_{2}" in texts and "\\downarrow 2" in texts
    assert "keep 2048 lowest\nbins of 4096" in texts and "D = 4096/2048" in texts
    with pytest.raises(ValueError, match="n_out"):
        diagrams.pooling_diagram(ax, 2, 2, 8, 8)
    with pytest.raises(ValueError, match="window"):
        diagrams.pooling_diagram(ax, 0, 2, 8, 4)
