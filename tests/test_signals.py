"""helpers.signals: the modulation identities of Wu et al. 2022, section 2 (eqs 1-12)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import signals as S
from helpers.spectra import energy_spectrum
from conftest import assert_raises_naming

N = 512


def rel_err(a, b) -> float:
    return float((a - b).abs().max() / b.abs().max())


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(1234)


def speechlike(n: int, gen: torch.Generator) -> torch.Tensor:
    """A 'real-ish' signal: harmonics of a drifting pitch under a syllable envelope, plus noise."""
    t = torch.arange(n, dtype=torch.float64)
    f0 = 0.01 + 0.002 * torch.sin(2 * math.pi * t / n)
    phase = 2 * math.pi * torch.cumsum(f0, 0)
    env = torch.exp(-(((t - n / 2) / (n / 6)) ** 2))
    x = sum(torch.cos(h * phase) / h for h in range(1, 8)) * env
    return x + 0.01 * torch.randn(n, generator=gen, dtype=torch.float64)


def fsdd_clip(n: int) -> torch.Tensor | None:
    """One real FSDD recording, centre-cropped to n samples, or None when the data is not there."""
    base = Path(
        os.environ.get("CMT_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    wav = base / "fsdd" / "recordings" / "3_jackson_10.wav"
    if not wav.exists():
        if os.environ.get("CMT_REQUIRE_DATA") == "1":
            pytest.fail(f"FSDD recording {wav} missing and CMT_REQUIRE_DATA=1")
        return None
    import soundfile as sf

    x, _ = sf.read(str(wav), dtype="float64")
    start = max(0, (len(x) - n) // 2)
    x = torch.as_tensor(x[start : start + n])
    return torch.nn.functional.pad(x, (0, n - len(x)))


# --------------------------------------------------------------------------------------- eq 1-3
def test_carrier_values_and_dtype():
    c = S.carrier(8, 0.25)
    assert c.dtype == torch.float64 and c.shape == (8,)
    assert torch.allclose(
        c, torch.tensor([1.0, 0, -1, 0, 1, 0, -1, 0], dtype=torch.float64), atol=1e-12
    )
    c = S.carrier(5, 0.1, phase=math.pi / 2, dtype=torch.float32)
    assert c.dtype == torch.float32
    assert torch.allclose(c, -torch.sin(2 * math.pi * 0.1 * torch.arange(5.0)), atol=1e-6)
    assert torch.equal(S.carrier(4, 0.0), torch.ones(4, dtype=torch.float64))
    assert torch.allclose(S.carrier(4, 0.5), torch.tensor([1.0, -1, 1, -1], dtype=torch.float64))


def test_dsb_sc_is_product_and_keeps_dtype(gen):
    x = torch.randn(2, 3, 64, generator=gen, dtype=torch.float64)
    m = S.dsb_sc(x, 0.125)
    assert m.shape == x.shape and m.dtype == torch.float64
    assert torch.allclose(
        m, x * torch.cos(2 * math.pi * 0.125 * torch.arange(64.0, dtype=torch.float64))
    )
    assert S.dsb_sc(x.float(), 0.125).dtype == torch.float32
    m_np = S.dsb_sc(x.numpy(), 0.125)  # numpy accepted, tensor out
    assert isinstance(m_np, torch.Tensor) and torch.allclose(m_np, m)


@pytest.mark.parametrize("fc", [0.0, 3 / N, 0.125, 153 / N, 0.5])
def test_eq3_dsb_sc_closed_form_random(gen, fc):
    x = torch.randn(4, N, generator=gen, dtype=torch.float64)
    closed = S.dsb_sc_energy_closed_form(x, fc)
    direct = energy_spectrum(S.dsb_sc(x, fc), shift=False)
    assert closed.shape == x.shape and closed.dtype == torch.float64
    assert rel_err(closed, direct) < 1e-9


def test_eq3_dsb_sc_closed_form_realish(gen):
    x = speechlike(N, gen)
    for fc in (51 / N, 0.25):
        assert (
            rel_err(
                S.dsb_sc_energy_closed_form(x, fc), energy_spectrum(S.dsb_sc(x, fc), shift=False)
            )
            < 1e-9
        )
    clip = fsdd_clip(4096)
    if clip is not None:  # a real spoken digit
        fc = 1024 / 4096
        got = S.dsb_sc_energy_closed_form(clip, fc, shift=True)
        want = energy_spectrum(S.dsb_sc(clip, fc), shift=True)
        assert rel_err(got, want) < 1e-9


def test_eq3_closed_form_is_not_trivially_equal(gen):
    """The identity must be able to fail: the wrong carrier gives a different spectrum."""
    x = torch.randn(N, generator=gen, dtype=torch.float64)
    assert (
        rel_err(
            S.dsb_sc_energy_closed_form(x, 0.25), energy_spectrum(S.dsb_sc(x, 0.125), shift=False)
        )
        > 0.1
    )


def test_energy_halving_above_message_band(gen):
    """Parseval: a message band-limited below fc (fc + band < 1/2) keeps half its energy.

    Exact on the DFT grid (fc = k/N): sum x^2 cos^2 = sum x^2 / 2 + DFT(x^2)[2k] / 2 and x^2 has no
    energy at 2 fc. Off the grid the finite window leaks and the halving is only approximate.
    """
    band, fc = 0.05, 102 / N
    x = S.bandlimit(torch.randn(3, N, generator=gen, dtype=torch.float64), band)
    assert S.occupied_band(x, 1.0) <= band
    m = S.dsb_sc(x, fc)
    ex = energy_spectrum(x).sum(-1)
    em = energy_spectrum(m).sum(-1)
    assert torch.allclose(em, ex / 2, rtol=1e-10)
    assert torch.allclose((m**2).sum(-1), (x**2).sum(-1) / 2, rtol=1e-10)  # same in time
    # ... and the energy sits in fc - band <= |f| <= fc + band
    E = energy_spectrum(m, shift=False)
    f = torch.fft.fftfreq(N, dtype=torch.float64).abs()
    outside = (f < fc - band - 1e-12) | (f > fc + band + 1e-12)
    assert float(E[:, outside].sum() / E.sum()) < 1e-20
    # not half when the message reaches over the carrier (aliasing of the two sidebands)
    wide = torch.randn(N, generator=gen, dtype=torch.float64)
    assert abs(float((S.dsb_sc(wide, fc) ** 2).sum() / (wide**2).sum()) - 0.5) > 1e-3


# --------------------------------------------------------------------------------------- eq 4-7
def _fdm_messages(gen, K=3, band=0.04):
    xs = S.bandlimit(torch.randn(K, N, generator=gen, dtype=torch.float64), band)
    fcs = [64 / N, 150 / N, 220 / N]  # bands [0.085, 0.165], [0.253, 0.333], [0.39, 0.47]: disjoint
    return xs, fcs[:K]


def test_multicarrier_is_sum_of_dsb_sc(gen):
    xs, fcs = _fdm_messages(gen)
    s = S.multicarrier(xs, fcs)
    assert s.shape == (N,)
    assert torch.allclose(s, sum(S.dsb_sc(xs[k], fcs[k]) for k in range(3)))
    assert torch.allclose(S.multicarrier(xs.numpy(), np.array(fcs)), s)


def test_eq7_exact_under_fdm(gen):
    xs, fcs = _fdm_messages(gen)
    assert S.fdm_overlap(xs, fcs) < 1e-10
    true = energy_spectrum(S.multicarrier(xs, fcs), shift=False)
    assert rel_err(S.multicarrier_energy_closed_form(xs, fcs), true) < 1e-9


def test_eq7_violated_when_bands_overlap(gen):
    xs = S.bandlimit(torch.randn(2, N, generator=gen, dtype=torch.float64), 0.1)
    fcs = [100 / N, 120 / N]  # 0.195 and 0.234, bandwidth 0.1: the bands overlap
    overlap = S.fdm_overlap(xs, fcs)
    assert overlap > 0.3
    true = energy_spectrum(S.multicarrier(xs, fcs), shift=False)
    assert rel_err(S.multicarrier_energy_closed_form(xs, fcs), true) > 1e-2
    # identical messages on the same carrier: maximal overlap
    assert S.fdm_overlap(torch.stack([xs[0], xs[0]]), [0.2, 0.2]) == pytest.approx(1.0)


def test_fdm_overlap_edge_cases(gen):
    x = torch.randn(1, N, generator=gen, dtype=torch.float64)
    assert S.fdm_overlap(x, [0.1]) == 0.0
    xs = torch.cat([x, torch.zeros(1, N, dtype=torch.float64)])
    assert S.fdm_overlap(xs, [0.1, 0.2]) == 0.0  # an all-zero message occupies no band


# --------------------------------------------------------------------------------------- eq 8-12
def test_mimo_is_channel_matrix_times_streams(gen):
    P, K, Q = 2, 2, 3
    xs = torch.randn(P, K, N, generator=gen, dtype=torch.float64)
    fcs = torch.tensor([[0.05, 0.2], [0.3, 0.45]], dtype=torch.float64)
    H = torch.randn(Q, P, generator=gen, dtype=torch.float64)
    r = S.mimo(xs, fcs, H)
    assert r.shape == (Q, N)
    s = torch.stack([S.multicarrier(xs[p], fcs[p]) for p in range(P)])
    for q in range(Q):
        assert torch.allclose(r[q], sum(H[q, p] * s[p] for p in range(P)))


def test_eq12_exact_for_disjoint_streams(gen):
    # stream p uses carriers that no other stream uses, and every band is disjoint (FDM)
    xs = S.bandlimit(torch.randn(2, 2, N, generator=gen, dtype=torch.float64), 0.03)
    fcs = torch.tensor([[40, 120], [200, 160]], dtype=torch.float64) / N
    H = torch.tensor([[1.0, -0.5], [0.3, 2.0], [0.7, 0.7]], dtype=torch.float64)
    true = energy_spectrum(S.mimo(xs, fcs, H), shift=False)
    assert rel_err(S.mimo_energy_closed_form(xs, fcs, H), true) < 1e-9
    assert (
        rel_err(S.mimo_energy_closed_form(xs, fcs, H, per_carrier=True), true) < 1e-9
    )  # last form of eq 12


def test_eq12_fails_for_overlapping_streams(gen):
    """Eq 12 drops the cross terms 2 h_qp h_qr Re(S_p S_r*): wrong when streams share a band."""
    xs = S.bandlimit(torch.randn(2, 1, N, generator=gen, dtype=torch.float64), 0.05)
    fcs = torch.tensor([[0.25], [0.25]], dtype=torch.float64)  # same carrier for both antennas
    H = torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=torch.float64)
    true = energy_spectrum(S.mimo(xs, fcs, H), shift=False)
    closed = S.mimo_energy_closed_form(xs, fcs, H)
    assert rel_err(closed, true) > 1e-2
    # the missing piece is exactly the cross term
    Sp = torch.fft.fft(S.mimo(xs, fcs, torch.eye(2, dtype=torch.float64)), dim=-1)
    cross = 2 * H[:, 0:1] * H[:, 1:2] * (Sp[0] * Sp[1].conj()).real
    assert rel_err(closed + cross, true) < 1e-9


@pytest.mark.parametrize("n", [101, 501])
def test_closed_forms_shift_true_at_odd_n_put_dc_at_n_over_2(gen, n):
    """shift=True is fftshift (DC at index n // 2), not ifftshift: the two differ only at odd n."""
    x = torch.randn(n, generator=gen, dtype=torch.float64)
    fc = 20 / n
    got = S.dsb_sc_energy_closed_form(x, fc, shift=True)
    assert rel_err(got, energy_spectrum(S.dsb_sc(x, fc), shift=True)) < 1e-9
    assert torch.equal(got, torch.fft.fftshift(S.dsb_sc_energy_closed_form(x, fc)))
    # a constant message on carrier 0 has all its energy, n^2, at DC: index n // 2 once centred
    dc = S.dsb_sc_energy_closed_form(torch.ones(n, dtype=torch.float64), 0.0, shift=True)
    assert int(dc.argmax()) == n // 2 and float(dc[n // 2]) == pytest.approx(n**2)
    xs = S.bandlimit(torch.randn(2, n, generator=gen, dtype=torch.float64), 0.04)
    fcs = [round(0.1 * n) / n, round(0.3 * n) / n]  # bands +-0.04 around them: disjoint
    true = energy_spectrum(S.multicarrier(xs, fcs), shift=True)
    assert rel_err(S.multicarrier_energy_closed_form(xs, fcs, shift=True), true) < 1e-9
    H = torch.tensor([[1.0, -0.5], [0.3, 2.0]], dtype=torch.float64)
    xm, fm = xs[:, None, :], torch.tensor(fcs, dtype=torch.float64)[:, None]
    true = energy_spectrum(S.mimo(xm, fm, H), shift=True)
    assert rel_err(S.mimo_energy_closed_form(xm, fm, H, shift=True), true) < 1e-9


# --------------------------------------------------------------------------------------- band tools
def test_bandlimit_and_occupied_band(gen):
    x = torch.randn(2, 1000, generator=gen, dtype=torch.float64)
    y = S.bandlimit(x, 0.1)
    assert y.shape == x.shape and y.dtype == torch.float64
    E = energy_spectrum(y, shift=False)
    f = torch.fft.fftfreq(1000, dtype=torch.float64).abs()
    assert float(E[:, f > 0.1 + 1e-12].max()) < 1e-20 * float(E.max())
    assert torch.allclose(
        E[:, f <= 0.1], energy_spectrum(x, shift=False)[:, f <= 0.1]
    )  # passband untouched
    assert S.occupied_band(y, energy=1.0) == pytest.approx(0.1)
    assert S.occupied_band(y, energy=0.5) < 0.1
    assert torch.allclose(S.bandlimit(x, 0.5), x)
    # a pure tone at bin 37 occupies exactly 37/N
    tone = S.carrier(1000, 0.037)
    assert S.occupied_band(tone, 0.99) == pytest.approx(0.037)


# --------------------------------------------------------------------------------------- bad input
BAD = [
    (lambda: S.carrier(16, 0.7), ValueError, "fc"),
    (lambda: S.carrier(16, -0.1), ValueError, "fc"),
    (lambda: S.carrier(0, 0.1), ValueError, "length"),
    (lambda: S.carrier(16.0, 0.1), TypeError, "length"),
    (lambda: S.carrier(16, "0.1"), TypeError, "fc"),
    (lambda: S.carrier(16, 0.1, dtype=torch.int64), TypeError, "dtype"),
    (lambda: S.dsb_sc("signal", 0.1), TypeError, "x"),
    (lambda: S.dsb_sc(np.array(["a", "b"]), 0.1), TypeError, "x"),
    (lambda: S.dsb_sc(torch.ones(8, dtype=torch.complex128), 0.1), TypeError, "x"),
    (lambda: S.dsb_sc(torch.tensor([1.0, float("nan")]), 0.1), ValueError, "x"),
    (lambda: S.dsb_sc_energy_closed_form(torch.ones(100), 0.123456), ValueError, "DFT grid"),
    (lambda: S.multicarrier(torch.ones(3, 8), [0.1, 0.2]), ValueError, "fcs"),
    (lambda: S.multicarrier(torch.ones(8), [0.1]), ValueError, "xs"),
    (lambda: S.multicarrier(torch.ones(2, 8), [0.1, 0.9]), ValueError, "fcs[1]"),
    (
        lambda: S.multicarrier_energy_closed_form(torch.ones(2, 64), [0.1, 0.25]),
        ValueError,
        "fcs[0]",
    ),
    (lambda: S.fdm_overlap(torch.ones(2, 8), [0.1]), ValueError, "fcs"),
    (lambda: S.mimo(torch.ones(2, 1, 8), [[0.1], [0.2]], torch.ones(3, 3)), ValueError, "H"),
    (lambda: S.mimo(torch.ones(2, 1, 8), [0.1, 0.2], torch.ones(3, 2)), ValueError, "fcs"),
    (lambda: S.mimo(torch.ones(2, 8), [[0.1], [0.2]], torch.ones(3, 2)), ValueError, "xs"),
    (lambda: S.mimo_energy_closed_form(torch.ones(2, 1, 8), [[0.1], [0.2]], "H"), TypeError, "H"),
    (lambda: S.bandlimit(torch.ones(8), 0.0), ValueError, "cutoff"),
    (lambda: S.bandlimit(torch.ones(8), 0.6), ValueError, "cutoff"),
    (lambda: S.occupied_band(torch.ones(8), 1.5), ValueError, "energy"),
    (lambda: S.occupied_band(torch.zeros(8), 0.9), ValueError, "x"),
]


@pytest.mark.parametrize(
    "call, exc, name", BAD, ids=[f"{b[1].__name__}-{b[2]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_input_names_the_argument(call, exc, name):
    assert_raises_naming(call, exc, name)


def test_grid_error_explains_the_requirement():
    with pytest.raises(ValueError, match=r"fc \* N must be an integer"):
        S.dsb_sc_energy_closed_form(torch.ones(100), 0.123456)
    S.dsb_sc_energy_closed_form(torch.ones(100), 0.12 + 1e-13)  # within tolerance: accepted


# --------------------------------------------------------------------------------------- edge cases
def test_carrier_of_one_sample_is_cos_phase():
    """length = 1 is a valid carrier (N >= 1): guards against refusing it (``length <= 1``)."""
    c = S.carrier(1, 0.3, phase=0.5)
    assert c.shape == (1,) and float(c[0]) == pytest.approx(math.cos(0.5), abs=1e-15)


def test_multicarrier_of_one_sample_sums_the_messages():
    """N = 1 messages (cos(0) = 1 for every carrier) are valid: guards against refusing N = 1."""
    xs = torch.tensor([[2.0], [-0.5], [3.0]], dtype=torch.float64)
    s = S.multicarrier(xs, [0.1, 0.2, 0.4])
    assert s.shape == (1,) and float(s[0]) == pytest.approx(4.5, abs=1e-15)


BAD_SHAPES = [
    (
        lambda: S.dsb_sc_energy_closed_form(torch.ones(8, dtype=torch.complex128), 0.25),
        TypeError,
        "x",
    ),
    (lambda: S.dsb_sc_energy_closed_form(torch.tensor(1.0), 0.0), ValueError, "x"),
    (lambda: S.multicarrier(torch.ones(2, 8, dtype=torch.complex128), [0.1, 0.2]), TypeError, "xs"),
    (
        lambda: S.multicarrier_energy_closed_form(
            torch.ones(2, 8, dtype=torch.complex128), [0.125, 0.25]
        ),
        TypeError,
        "xs",
    ),
    (lambda: S.multicarrier(torch.ones(0, 8), []), ValueError, "xs"),
    (lambda: S.fdm_overlap(torch.ones(0, 8), []), ValueError, "xs"),
    (lambda: S.multicarrier(torch.ones(2, 0), [0.1, 0.2]), ValueError, "xs"),
    (lambda: S.occupied_band(torch.ones(8, dtype=torch.complex128), 0.9), TypeError, "x"),
    (lambda: S.occupied_band(torch.tensor(1.0), 0.9), ValueError, "x"),
]


@pytest.mark.parametrize(
    "call, exc, name",
    BAD_SHAPES,
    ids=[f"{b[1].__name__}-{b[2]}-{i}" for i, b in enumerate(BAD_SHAPES)],
)
def test_complex_scalar_and_empty_messages_are_refused(call, exc, name):
    """Complex, 0-d and K = 0 / N = 0 messages must be refused, naming the argument (not crash)."""
    assert_raises_naming(call, exc, name)


def test_fdm_overlap_known_answer_and_scale_invariance():
    """The normalised overlap is scale invariant: guards the norms (eq 6 ratio) and the 0 guard."""
    n = 16
    xs = torch.zeros(2, n, dtype=torch.float64)
    xs[0, 0] = 1.0  # an impulse: |M_0(f)| = 1 at every bin (cos(0) = 1 at n = 0)
    xs[1] = 1.0  # a constant on carrier 0: |M_1(f)| = n at DC, 0 elsewhere
    # sum |M_0||M_1| / sqrt(sum |M_0|^2 sum |M_1|^2) = n / (sqrt(n) n) = 1 / sqrt(n)
    assert S.fdm_overlap(xs, [0.0, 0.0]) == pytest.approx(0.25, rel=1e-12)
    scale = torch.tensor([[1.0], [1.0]], dtype=torch.float64)
    for a, b in [(1e-3, 1e-3), (1e3, 1e3), (1e-3, 1e3), (2.0, 1e-4)]:
        scale[0, 0], scale[1, 0] = a, b
        assert S.fdm_overlap(scale * xs, [0.0, 0.0]) == pytest.approx(0.25, rel=1e-12), (a, b)


def test_eq12_per_carrier_with_more_streams_than_carriers(gen):
    """P != K: the per-carrier form of eq 12 must loop over the P streams, not the K carriers."""
    xs = S.bandlimit(torch.randn(3, 1, N, generator=gen, dtype=torch.float64), 0.03)
    fcs = torch.tensor([[40], [120], [200]], dtype=torch.float64) / N  # disjoint bands
    H = torch.tensor([[1.0, -0.5, 0.25], [0.3, 2.0, -1.0]], dtype=torch.float64)
    true = energy_spectrum(S.mimo(xs, fcs, H), shift=False)
    got = S.mimo_energy_closed_form(xs, fcs, H, per_carrier=True)
    assert got.shape == (2, N) and rel_err(got, true) < 1e-9
    xs2 = S.bandlimit(torch.randn(1, 2, N, generator=gen, dtype=torch.float64), 0.03)
    fcs2 = torch.tensor([[40, 160]], dtype=torch.float64) / N
    H2 = torch.tensor([[1.5]], dtype=torch.float64)
    true2 = energy_spectrum(S.mimo(xs2, fcs2, H2), shift=False)
    assert rel_err(S.mimo_energy_closed_form(xs2, fcs2, H2, per_carrier=True), true2) < 1e-9


def test_occupied_band_reaches_nyquist():
    """Bands above N/3 (up to Nyquist, 1/2) are reported: guards the ``n // 2`` clamp's value."""
    assert S.occupied_band(S.carrier(64, 0.5), 0.99) == pytest.approx(0.5)
    assert S.occupied_band(S.carrier(1000, 0.45), 0.99) == pytest.approx(0.45)
    assert S.occupied_band(S.carrier(999, 400 / 999), 0.99) == pytest.approx(400 / 999)  # odd N


def test_occupied_band_stays_on_the_dft_grid_when_the_cumsum_falls_short():
    """Odd N, cumsum short of the total by rounding: the clamp must give (N//2)/N, not 1/2."""
    n = 3**10  # odd: N/2 is not a bin, N//2 = (N - 1)/2 is
    e0 = float(n) ** 2  # the DC energy of a constant 1
    x = torch.ones(n, dtype=torch.float64)
    x[0] += math.sqrt(0.45 * math.ulp(e0) / 2)  # a click: an energy floor below 1/2 ulp of e0
    f = S.occupied_band(x, 1.0)
    assert 0.0 <= f <= (n // 2) / n
    assert f * n == pytest.approx(round(f * n), abs=1e-6)  # f = m / N, m an integer
