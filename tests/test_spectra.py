"""helpers.spectra: energy spectra (Wu et al. 2022, eqs 3, 39, 40) and Algorithm 1."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from helpers import spectra as P
from conftest import assert_raises_naming


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def dft_energy_1d(x: np.ndarray) -> np.ndarray:
    """|sum_n x[n] exp(-j 2 pi k n / N)|^2 written out as a sum (eq 3 on the DFT grid)."""
    n = x.shape[-1]
    k = np.arange(n)
    W = np.exp(-2j * np.pi * np.outer(k, k) / n)
    return np.abs(x @ W.T) ** 2


def dft_energy_2d(x: np.ndarray) -> np.ndarray:
    """Eq 39 literally: |sum_u sum_v x(u, v) exp(-j 2 pi (alpha u / N1 + beta v / N2))|^2."""
    n1, n2 = x.shape[-2:]
    u, v = np.arange(n1), np.arange(n2)
    out = np.empty(x.shape, dtype=np.float64)
    for a in range(n1):
        for b in range(n2):
            phase = np.exp(-2j * np.pi * (a * u[:, None] / n1 + b * v[None, :] / n2))
            out[..., a, b] = np.abs((x * phase).sum(axis=(-2, -1))) ** 2
    return out


# --------------------------------------------------------------------------------------- spectra
def test_energy_spectrum_1d_matches_explicit_dft(rng):
    x = rng.standard_normal((2, 3, 17))
    E = P.energy_spectrum(x, shift=False)
    assert isinstance(E, torch.Tensor) and E.dtype == torch.float64 and E.shape == x.shape
    np.testing.assert_allclose(E.numpy(), dft_energy_1d(x), rtol=1e-10, atol=1e-10)
    Es = P.energy_spectrum(torch.as_tensor(x))
    np.testing.assert_allclose(
        Es.numpy(), np.fft.fftshift(dft_energy_1d(x), axes=-1), rtol=1e-10, atol=1e-10
    )


def test_energy_spectrum_2d_with_channels_matches_eq39(rng):
    x = rng.standard_normal((2, 3, 6, 5))  # batch, channels, non-square
    E = P.energy_spectrum(x, ndim=2, shift=False)
    np.testing.assert_allclose(E.numpy(), dft_energy_2d(x), rtol=1e-10, atol=1e-10)
    Ec = P.energy_spectrum(x, ndim=2).mean(dim=1)  # the channel average of eq 39
    np.testing.assert_allclose(
        Ec.numpy(), np.fft.fftshift(dft_energy_2d(x), axes=(-2, -1)).mean(1), rtol=1e-10
    )


def test_energy_spectrum_parseval_normalize_and_dtypes(rng):
    x = torch.as_tensor(rng.standard_normal((4, 2, 8, 12)))
    E = P.energy_spectrum(x, ndim=2)
    assert torch.allclose(
        E.sum(dim=(-2, -1)), 8 * 12 * (x**2).sum(dim=(-2, -1))
    )  # Parseval, H W sum x^2
    E1 = P.energy_spectrum(x)
    assert torch.allclose(E1.sum(-1), 12 * (x**2).sum(-1))
    En = P.energy_spectrum(x, ndim=2, normalize=True)
    assert torch.allclose(En.sum(dim=(-2, -1)), torch.ones(4, 2, dtype=torch.float64))
    assert P.energy_spectrum(x.float()).dtype == torch.float32
    assert P.energy_spectrum(torch.arange(8)).dtype == torch.float64  # ints promoted
    z = torch.randn(16, dtype=torch.complex128)
    assert torch.allclose(P.energy_spectrum(z, shift=False), torch.fft.fft(z).abs() ** 2)
    # DC lands at index N//2 after the shift
    assert int(P.energy_spectrum(torch.ones(9)).argmax()) == 4
    E2 = P.energy_spectrum(torch.ones(6, 7), ndim=2)
    assert float(E2[3, 3]) == float(E2.max()) == 42.0**2


def test_frequency_axis_even_and_odd():
    assert torch.equal(
        P.frequency_axis(4), torch.tensor([-0.5, -0.25, 0.0, 0.25], dtype=torch.float64)
    )
    assert torch.allclose(
        P.frequency_axis(5), torch.tensor([-0.4, -0.2, 0.0, 0.2, 0.4], dtype=torch.float64)
    )
    assert torch.allclose(
        P.frequency_axis(4, shift=False),
        torch.tensor([0.0, 0.25, -0.5, -0.25], dtype=torch.float64),
    )
    assert torch.allclose(
        P.frequency_axis(4, fs=8000), torch.tensor([-4000.0, -2000, 0, 2000], dtype=torch.float64)
    )
    f = P.frequency_axis(7)
    assert f.dtype == torch.float64 and float(f[7 // 2]) == 0.0
    assert float(f.min()) >= -0.5 and float(f.max()) < 0.5


# -------------------------------------------------------------------------------- Algorithm 1
@pytest.mark.parametrize("chunk_bytes", [4 << 20, 700])  # one chunk per batch / several
@pytest.mark.parametrize("shape", [(23, 3, 10, 9), (23, 2, 8, 16), (23, 1, 64), (23, 2, 33)])
def test_spectrum_mean_streaming_equals_algorithm1(rng, shape, chunk_bytes):
    data = rng.standard_normal(shape) + 0.3
    ndim = len(shape) - 2
    acc = P.SpectrumMean(ndim=ndim)
    acc._CHUNK_BYTES = chunk_bytes
    for lo, hi in [(0, 5), (5, 6), (6, 6), (6, 17), (17, 23)]:  # uneven batches, one empty
        acc.update(torch.as_tensor(data[lo:hi]))
    ref = P.algorithm1_reference(data)
    mean = acc.mean
    assert acc.count == 23 and acc.n_spectra == 23 * shape[1]
    assert mean.shape == shape[2:] and mean.dtype == torch.float64
    assert float(np.abs(mean.numpy() - ref).max()) <= 1e-10 * float(ref.max())
    assert float(np.abs(mean.numpy() - ref).max()) < 1e-14
    assert mean.sum().item() == pytest.approx(1.0, abs=1e-12)
    # the function form, fed (inputs, labels) pairs like a DataLoader
    batches = [(torch.as_tensor(data[i : i + 4]), torch.zeros(4)) for i in range(0, 23, 4)]
    assert float((P.mean_energy_spectrum(batches, ndim=ndim) - mean).abs().max()) < 1e-15


@pytest.mark.parametrize("shape", [(9, 3, 12, 10), (5, 2, 32, 48), (6, 1, 4096), (4, 2, 1009)])
def test_spectrum_mean_float32(rng, shape):
    data = rng.standard_normal(shape).astype(np.float32) + 0.5
    ref = P.algorithm1_reference(data)
    acc = P.SpectrumMean(ndim=len(shape) - 2)
    got = acc.update(torch.from_numpy(data)).mean.numpy()
    assert np.abs(got - ref).max() <= 1e-6 * ref.max()  # float32 FFT, float64-accurate denominators


def test_float32_denominators_are_float64_accurate_to_1e8(rng):
    """``_sum_squares`` (line 4's denominator) adds the float32 block norms in float64, as its
    docstring says, for ~1e-8: squaring and summing the blocks in float32 gives ~1e-7."""
    data = (rng.standard_normal((32, 512 * 512)) + 0.5).astype(np.float32)  # 512 blocks a row
    ref = torch.from_numpy(data).double().square().sum(-1)
    got = P._sum_squares(torch.from_numpy(data))
    assert got.dtype == torch.float64
    err = (got - ref).abs() / ref
    assert float(err.max()) < 3e-8 and float(err.mean()) < 1e-8, err
    rows = torch.from_numpy(data[:2, :4096]).double()  # float64 rows: reduced directly
    assert torch.allclose(P._sum_squares(rows), rows.square().sum(-1), rtol=1e-14, atol=0)


def test_spectrum_mean_float64_compute_and_unnormalized(rng):
    data = rng.random((9, 3, 12, 10)).astype(np.float32)
    ref = P.algorithm1_reference(data)
    got64 = (
        P.SpectrumMean(ndim=2, compute_dtype=torch.float64)
        .update(torch.from_numpy(data))
        .mean.numpy()
    )
    assert np.abs(got64 - ref).max() <= 1e-12 * ref.max()
    raw = P.SpectrumMean(ndim=2, normalize=False).update(data.astype(np.float64)).mean
    want = P.energy_spectrum(data.astype(np.float64), ndim=2).mean(dim=(0, 1))  # eqs 37 + 39
    assert torch.allclose(raw, want, rtol=1e-12)


def test_spectrum_mean_detects_wrong_answers(rng):
    """The comparison must be able to fail: averaging without line 4 is not Algorithm 1."""
    data = rng.standard_normal((6, 2, 16)) * np.arange(1, 7)[:, None, None]
    raw = P.SpectrumMean(ndim=1, normalize=False).update(data).mean
    assert (
        float((raw / raw.sum() - torch.as_tensor(P.algorithm1_reference(data))).abs().max()) > 1e-3
    )


def test_spectrum_mean_zero_channels(rng):
    data = rng.standard_normal((4, 3, 16))
    data[1, 2] = 0.0  # a dead channel
    with pytest.raises(ValueError, match=r"sample 1, channel 2"):
        P.SpectrumMean(ndim=1).update(data)
    small = P.SpectrumMean(ndim=1)
    small._CHUNK_BYTES = 200  # the zero spectrum falls in a later chunk: same report, nothing added
    with pytest.raises(ValueError, match=r"sample 1, channel 2"):
        small.update(data)
    assert small.count == 0 and small.n_spectra == 0
    acc = P.SpectrumMean(ndim=1, on_zero="skip").update(data)
    assert acc.n_spectra == 11 and acc.count == 4
    assert acc.mean.sum().item() == pytest.approx(1.0)


# --------------------------------------------------------------------------------------- contours
def test_energy_contours_property(rng):
    spec = P.algorithm1_reference(rng.standard_normal((5, 3, 20, 24)).cumsum(axis=-1))  # 1/f-ish
    spec_t = torch.as_tensor(spec)
    cont = P.energy_contours(spec_t)
    assert list(cont) == [0.6, 0.8, 0.9]
    assert cont[0.6] >= cont[0.8] >= cont[0.9]
    total = spec.sum()
    for level, th in cont.items():
        inside = spec[spec >= th].sum() / total
        strictly = spec[spec > th].sum() / total
        assert inside >= level - 1e-12  # the region holds at least `level` of the energy
        assert strictly < level  # and dropping the threshold bin(s) loses it: minimal
        # smallest set, found independently: the best k bins are the k largest, so grow k until
        # the energy reaches `level`; the threshold is the value of the last bin taken
        top = np.sort(spec.ravel())[::-1]
        acc, k = 0.0, 0
        while acc < level * total:
            acc += top[k]
            k += 1
        assert th == top[k - 1]
    # scale invariance and numpy input
    assert P.energy_contours(spec * 7.0, levels=0.9)[0.9] == pytest.approx(7 * cont[0.9])


def test_energy_contours_simple_case():
    spec = torch.tensor([0.5, 0.3, 0.15, 0.05], dtype=torch.float64)
    # cumsum of the sorted values: 0.5, 0.8, 0.95, 1.0
    assert P.energy_contours(spec, levels=(0.5, 0.6, 0.8, 0.9, 0.99)) == {
        0.5: 0.5,
        0.6: 0.3,
        0.8: 0.3,
        0.9: 0.15,
        0.99: 0.05,
    }


# ----------------------------------------------------------------------------- radial profile
def test_radial_profile_closed_form():
    h, w = 32, 48  # non-square
    r = P.radial_frequency(h, w)
    # a spectrum that is a known function of the annulus index: profile must equal it exactly
    nb = 17
    dr = 0.5 / (nb - 1)
    k = torch.round(r / dr)
    g = lambda kk: 3.0 + torch.cos(kk) ** 2  # noqa: E731
    radii, prof = P.radial_profile(g(k), nbins=nb)
    assert torch.allclose(radii, torch.arange(nb, dtype=torch.float64) * dr)
    assert torch.allclose(prof, g(torch.arange(nb, dtype=torch.float64)), rtol=1e-12)
    # E = exp(-r / 0.1): the annulus mean is within the spread of the annulus (dr/2 either side)
    radii, prof = P.radial_profile(torch.exp(-r / 0.1))
    assert radii.shape == (min(h, w) // 2 + 1,) and radii[1] == pytest.approx(1 / min(h, w))
    lo, hi = (
        torch.exp(-(radii + radii[1] / 2) / 0.1),
        torch.exp(-(radii - radii[1] / 2).clamp(min=0) / 0.1),
    )
    assert bool(((prof >= lo - 1e-12) & (prof <= hi + 1e-12)).all())
    assert prof[0] == pytest.approx(1.0)  # DC alone in annulus 0
    # leading dims kept; linear in the spectrum
    radii2, prof2 = P.radial_profile(torch.stack([torch.exp(-r / 0.1), 2 * torch.exp(-r / 0.1)]))
    assert prof2.shape == (2, radii.numel()) and torch.allclose(prof2[1], 2 * prof)


def test_radial_frequency_centre():
    r = P.radial_frequency(6, 9)
    assert float(r[3, 4]) == 0.0 and r.shape == (6, 9)
    assert float(r[0, 4]) == pytest.approx(0.5) and float(r[3, 0]) == pytest.approx(4 / 9)


# --------------------------------------------------------------------------------------- summaries
def test_spectral_centroid_and_band_fraction():
    f = P.frequency_axis(64)
    E = torch.zeros(2, 64, dtype=torch.float64)
    E[0, 32 + 8] = E[0, 32 - 8] = 1.0  # a tone at 8/64 = 0.125
    E[1, 32] = 1.0
    E[1, 32 + 16] = E[1, 32 - 16] = 0.5  # half at DC, half at 0.25
    assert torch.allclose(
        P.spectral_centroid(E, f), torch.tensor([0.125, 0.125], dtype=torch.float64)
    )
    assert torch.allclose(
        P.band_energy_fraction(E, f, 0.1, 0.2), torch.tensor([1.0, 0.0], dtype=torch.float64)
    )
    assert torch.allclose(
        P.band_energy_fraction(E, f, 0.0, 0.1), torch.tensor([0.0, 0.5], dtype=torch.float64)
    )
    E2 = torch.zeros(64, dtype=torch.float64)
    E2[0] = 1.0  # the Nyquist bin -1/2 is included when f_hi reaches max |f|
    assert float(P.band_energy_fraction(E2, f, 0.25, 0.5)) == 1.0
    # DSB-SC moves the centroid from the message band to the carrier
    from helpers.signals import bandlimit, dsb_sc

    x = bandlimit(torch.randn(256, dtype=torch.float64), 0.02)
    fa = P.frequency_axis(256)
    c0 = float(P.spectral_centroid(P.energy_spectrum(x), fa))
    c1 = float(P.spectral_centroid(P.energy_spectrum(dsb_sc(x, 0.25)), fa))
    assert c0 < 0.02 and c1 == pytest.approx(0.25, abs=0.02)


# --------------------------------------------------------------------------------------- bad input
def _mean_mismatch():
    acc = P.SpectrumMean(ndim=2).update(torch.ones(2, 3, 8, 8))
    acc.update(torch.ones(2, 3, 8, 9))


def _mean_channels():
    acc = P.SpectrumMean(ndim=1).update(torch.ones(2, 3, 8))
    acc.update(torch.ones(2, 1, 8))


BAD = [
    (lambda: P.energy_spectrum(torch.ones(4, 4), ndim=3), ValueError, "ndim"),
    (lambda: P.energy_spectrum(torch.ones(4), ndim=2), ValueError, "x"),
    (lambda: P.energy_spectrum("spectrum"), TypeError, "x"),
    (lambda: P.energy_spectrum(torch.ones(4), ndim="1"), TypeError, "ndim"),
    (lambda: P.energy_spectrum(torch.zeros(2, 4), normalize=True), ValueError, "x"),
    (lambda: P.energy_spectrum(torch.tensor([True, False])), TypeError, "x"),
    (lambda: P.frequency_axis(0), ValueError, "n"),
    (lambda: P.frequency_axis(4, fs=-1.0), ValueError, "fs"),
    (_mean_mismatch, ValueError, "batch"),
    (_mean_channels, ValueError, "batch"),
    (lambda: P.SpectrumMean(ndim=1).update(torch.ones(2, 8)), ValueError, "batch"),
    (lambda: P.SpectrumMean(ndim=3), ValueError, "ndim"),
    (
        lambda: P.SpectrumMean(ndim=1).update(torch.tensor([[[1.0, float("inf")]]])),
        ValueError,
        "batch",
    ),
    (lambda: P.SpectrumMean(ndim=1).update("batch of strings"), TypeError, "batch"),
    (lambda: P.SpectrumMean(ndim=1, on_zero="ignore"), ValueError, "on_zero"),
    (lambda: P.mean_energy_spectrum([], ndim=1), ValueError, "batches"),
    (lambda: P.mean_energy_spectrum(torch.ones(2, 1, 8)), TypeError, "batches"),
    (lambda: P.algorithm1_reference(torch.ones(2, 1, 8)), TypeError, "images"),
    (lambda: P.algorithm1_reference(np.ones((2, 8))), ValueError, "images"),
    (lambda: P.energy_contours(torch.rand(8), levels=(0.5, 1.0)), ValueError, "levels"),
    (lambda: P.energy_contours(torch.rand(8), levels=(0.0,)), ValueError, "levels"),
    (lambda: P.energy_contours(torch.rand(8), levels="0.9"), TypeError, "levels"),
    (lambda: P.energy_contours(-torch.rand(8)), ValueError, "spectrum"),
    (lambda: P.radial_profile(torch.ones(8)), ValueError, "spectrum2d"),
    (lambda: P.radial_profile(torch.ones(8, 8), nbins=1), ValueError, "nbins"),
    (lambda: P.spectral_centroid(torch.ones(8), torch.ones(7)), ValueError, "freqs"),
    (
        lambda: P.band_energy_fraction(torch.ones(8), P.frequency_axis(8), 0.3, 0.1),
        ValueError,
        "f_hi",
    ),
]


@pytest.mark.parametrize(
    "call, exc, name", BAD, ids=[f"{b[1].__name__}-{b[2]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_input_names_the_argument(call, exc, name):
    assert_raises_naming(call, exc, name)


def test_mean_before_update_is_an_error():
    with pytest.raises(RuntimeError, match="update"):
        _ = P.SpectrumMean(ndim=2).mean


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_spectrum_mean_on_cuda(rng):
    data = rng.standard_normal((6, 2, 8, 8))
    got = P.SpectrumMean(ndim=2).update(torch.as_tensor(data, device="cuda")).mean
    assert got.device.type == "cpu"
    assert np.abs(got.numpy() - P.algorithm1_reference(data)).max() < 1e-12


# --------------------------------------------------------------------------------------- edge cases
@pytest.mark.parametrize(
    "bad",
    [
        np.array(["a", "b"]),
        np.array([1, "a"], dtype=object),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
    ],
    ids=["str", "object", "datetime"],
)
def test_non_numeric_numpy_arrays_are_refused_naming_the_argument(bad):
    """A numpy array of strings/objects/dates: a TypeError naming the argument, not torch's own."""
    assert_raises_naming(lambda: P.energy_spectrum(bad), TypeError, "x")
    assert_raises_naming(lambda: P.SpectrumMean(ndim=1).update(bad), TypeError, "batch")


def test_sum_squares_float32_rows_up_to_512_are_reduced_in_float64(rng):
    """float32 rows of <= 512 values are cast to float64 first (docstring): ~1e-16, not ~1e-7."""
    for n in (100, 512):
        rows = torch.from_numpy((rng.standard_normal((8, n)) + 0.5).astype(np.float32))
        want = rows.double().square().sum(-1)
        assert torch.allclose(P._sum_squares(rows), want, rtol=1e-14, atol=0), n
        crows = torch.complex(rows, rows.flip(-1))  # complex64: same rule
        cwant = rows.double().square().sum(-1) + rows.flip(-1).double().square().sum(-1)
        assert torch.allclose(P._sum_squares(crows), cwant, rtol=1e-14, atol=0), n


def test_sum_squares_float32_rows_longer_than_512_use_float32_blocks(rng):
    """Rows of > 512 float32 values (513 = 3 x 171 too) are reduced in float32 blocks of <= 512."""
    for n in (513, 1024):
        rows = torch.from_numpy((rng.standard_normal((8, n)) + 0.5).astype(np.float32))
        block = max(d for d in range(1, 513) if n % d == 0)  # 171 and 512
        parts = torch.linalg.vector_norm(rows.reshape(8, n // block, block), dim=-1)
        want = parts.double().square().sum(-1)
        got = P._sum_squares(rows)
        assert torch.allclose(got, want, rtol=1e-13, atol=0), n
        exact = rows.double().square().sum(-1)
        assert float(((got - exact) / exact).abs().max()) < 3e-7, n  # the documented accuracy


def test_spectrum_mean_of_faint_signals_is_not_treated_as_zero(rng):
    """Line 4 is scale invariant: a faint (total energy < 1) spectrum is not an all-zero one."""
    data = rng.standard_normal((4, 2, 16)) * 1e-3  # |fft|^2 sums ~ 1e-5
    ref = P.algorithm1_reference(data)
    got = P.SpectrumMean(ndim=1).update(data).mean
    assert float(np.abs(got.numpy() - ref).max()) < 1e-14
    assert float(np.abs(ref - P.algorithm1_reference(data * 1e3)).max()) < 1e-14
    skip = P.SpectrumMean(ndim=1, on_zero="skip").update(data)
    assert skip.n_spectra == 8


def test_algorithm1_reference_one_sample_and_empty_batches():
    """N_s = 1 or C = 1 is valid (one normalised spectrum); N_s = 0 or C = 0 must be refused."""
    x = np.array([[[1.0, 2.0, 0.0, -1.0]]])  # N_s = C = 1
    e = np.abs(np.fft.fft(x[0, 0])) ** 2
    np.testing.assert_allclose(P.algorithm1_reference(x), np.fft.fftshift(e / e.sum()), rtol=1e-15)
    for shape in ((0, 2, 8), (2, 0, 8), (0, 0, 8), (0, 1, 4, 4), (1, 0, 4, 4)):
        assert_raises_naming(
            lambda s=shape: P.algorithm1_reference(np.ones(s)), ValueError, "images"
        )


def test_energy_contours_with_empty_bins_and_all_zero():
    """Zero bins are valid energy (non-negative); an all-zero spectrum has no contours: refused."""
    spec = torch.tensor([0.0, 0.5, 0.0, 0.25, 0.25], dtype=torch.float64)
    # sorted: 0.5, 0.25, 0.25, 0, 0; cumulative fractions 0.5, 0.75, 1, 1, 1
    assert P.energy_contours(spec, levels=(0.5, 0.6, 0.9)) == {0.5: 0.5, 0.6: 0.25, 0.9: 0.25}
    assert P.energy_contours(np.zeros((3, 3)) + np.eye(3), levels=0.6) == {0.6: 1.0}
    assert_raises_naming(lambda: P.energy_contours(torch.zeros(8)), ValueError, "spectrum")


# ---------------------------------------------------------------------------------- Spectrum
def test_spectrum_of_a_pure_tone_sits_at_plus_minus_f_on_the_grid_with_fs():
    fs, n, f0 = 8000.0, 800, 1000.0
    t = torch.arange(n, dtype=torch.float64) / fs
    s = P.Spectrum.of(torch.cos(2 * np.pi * f0 * t), fs=fs)
    assert s.fs == fs and s.ndim == 1 and s.n == n and s.df == fs / n
    peaks = s.freqs[s.values > 1e-9 * s.values.max()]
    assert peaks.tolist() == [-f0, f0]
    # Parseval: the two bins hold N^2 / 4 each
    np.testing.assert_allclose(s.values[s.values > 1].numpy(), [n**2 / 4] * 2, rtol=1e-13)
    assert float(s.centroid()) == pytest.approx(f0, rel=1e-13)
    assert float(s.band_share(900, 1100)) == pytest.approx(1.0, abs=1e-15)
    torch.testing.assert_close(s.freqs, P.frequency_axis(n, fs=fs), rtol=0, atol=0)
    unshifted = P.Spectrum.of(torch.cos(2 * np.pi * f0 * t), fs=fs, shift=False)
    assert unshifted.freqs[unshifted.values > 1].tolist() == [f0, -f0]
    assert s.freqs is s.freqs, "the grid is built once"


def test_spectrum_centroid_of_a_known_spectrum_and_values_access():
    # energy 1 at |f| = 1/8 and 3 at |f| = 1/4 (both sides): centroid (2/8 + 6/4) / 8 = 0.21875
    v = torch.zeros(8, dtype=torch.float64)
    f = P.frequency_axis(8)
    v[f.abs() == 0.125] = 1.0
    v[f == 0.25] = 3.0
    v[f == -0.25] = 3.0
    s = P.Spectrum(v)
    assert float(s.centroid()) == pytest.approx(0.21875, rel=1e-15)
    assert float(s.total()) == 8.0
    assert np.asarray(s).tolist() == v.tolist() and s.values is v
    assert float(P.Spectrum(v, fs=16.0).centroid()) == pytest.approx(16 * 0.21875, rel=1e-15)


def test_band_share_of_white_noise_is_the_band_width(rng):
    x = torch.as_tensor(rng.standard_normal((400, 1024)))
    s = P.Spectrum.of(x)
    share = s.band_share(0.1, 0.3)
    assert share.shape == (400,)
    assert float(share.mean()) == pytest.approx(0.4, abs=0.005)  # two-sided band 2 x 0.2
    f = P.frequency_axis(1024)
    torch.testing.assert_close(share, P.band_energy_fraction(s.values, f, 0.1, 0.3))


def test_drop_dc_then_normalized_sums_to_one_and_matches_removing_the_bin(rng):
    x = torch.as_tensor(rng.standard_normal((3, 2, 65))) + 5.0  # a large DC
    s = P.Spectrum.of(x)
    d = s.drop_dc()
    assert d.shape == s.shape and d.dc_dropped and not s.dc_dropped
    assert bool((d.values[..., 32] == 0).all()) and bool((s.values[..., 32] > 0).all())
    u = d.normalized()
    assert u.shape == (3, 2, 65)
    np.testing.assert_allclose(u.total().numpy(), 1.0, rtol=0, atol=1e-15)
    # the same numbers as the inline "mask DC, divide by the rest"
    f = P.frequency_axis(65)
    ac = f != 0
    rest = s.values[..., ac]
    want = rest / rest.sum(-1, keepdim=True)
    np.testing.assert_allclose(u.values[..., ac].numpy(), want.numpy(), rtol=1e-14)
    np.testing.assert_allclose(
        d.centroid().numpy(), P.spectral_centroid(rest, f[ac]).numpy(), rtol=1e-14
    )
    # unshifted: DC is bin 0; 2-D: DC at (H//2, W//2)
    assert float(P.Spectrum.of(x, shift=False).drop_dc().values[..., 0].abs().max()) == 0.0
    s2 = P.Spectrum.of(torch.as_tensor(rng.standard_normal((6, 7))) + 1.0, ndim=2).drop_dc()
    assert s2.values[3, 3] == 0 and float(s2.freqs[3, 3]) == 0.0
    np.testing.assert_allclose(float(s2.normalized().total()), 1.0, rtol=0, atol=1e-15)


def test_spectrum_radial_profile_of_an_isotropic_spectrum():
    # E = exp(-rho / 0.1), rho = |f| rounded to the annulus grid dr = 1/32: constant on each
    # annulus, so the profile is exp(-radius / 0.1) exactly
    h = w = 32
    r = P.radial_frequency(h, w)
    s = P.Spectrum(torch.exp(-torch.round(r * 32) / 32 / 0.1), ndim=2)
    radii, prof = s.radial_profile()
    assert radii.shape == (17,) and prof.shape == (17,)
    assert float(prof[0]) == 1.0
    np.testing.assert_allclose(prof.numpy(), torch.exp(-radii / 0.1).numpy(), rtol=1e-14)
    assert bool((prof.diff() < 0).all()), "decreasing in |f|"
    # the same as the function on the centred values; an unshifted spectrum is centred first
    torch.testing.assert_close(prof, P.radial_profile(s.values)[1])
    u = P.Spectrum(torch.fft.ifftshift(s.values), ndim=2, shift=False)
    torch.testing.assert_close(u.radial_profile()[1], prof)
    torch.testing.assert_close(u.freqs, torch.fft.ifftshift(r))
    radii_fs, _ = P.Spectrum(s.values, ndim=2, fs=28.0).radial_profile()
    torch.testing.assert_close(radii_fs, 28.0 * radii)
    assert s.df == (1 / 32, 1 / 32) and s.n == (32, 32) and s.dc_index == (16, 16)


def test_spectrum_mean_over_leading_dims(rng):
    x = torch.as_tensor(rng.standard_normal((3, 4, 16)))
    s = P.Spectrum.of(x, fs=2.0)
    assert torch.equal(s.mean().values, s.values.mean(dim=(0, 1))) and s.mean().fs == 2.0
    assert torch.equal(s.mean(0).values, s.values.mean(dim=0)) and s.mean(-1).shape == (3, 16)
    assert s.mean().mean().shape == (16,)
    assert_raises_naming(lambda: s.mean(2), ValueError, "dim")
    assert_raises_naming(lambda: s.mean(1.0), TypeError, "dim")


def test_spectrum_is_immutable_and_methods_return_new_spectra():
    s = P.Spectrum(torch.ones(4, dtype=torch.float64), fs=2.0)
    with pytest.raises(AttributeError, match="immutable"):
        s.fs = 3.0
    n = s.normalized()
    assert n is not s and n.fs == 2.0 and float(s.total()) == 4.0 and float(n.total()) == 1.0
    assert "Spectrum(shape=(4,)" in repr(s)


def test_spectrum_mean_gives_a_spectrum(rng):
    x = torch.as_tensor(rng.standard_normal((5, 2, 16)))
    acc = P.SpectrumMean().update(x)
    s = acc.spectrum(fs=8000)
    assert isinstance(s, P.Spectrum) and s.fs == 8000.0 and torch.equal(s.values, acc.mean)
    np.testing.assert_allclose(float(s.total()), 1.0, rtol=1e-14)


def test_relative_error_for_tensors_and_spectra(rng):
    a = torch.as_tensor(rng.standard_normal(32))
    b = torch.as_tensor(rng.standard_normal(32))
    assert P.relative_error(a, b) == float((a - b).norm() / b.norm())
    sa, sb = P.Spectrum.of(a), P.Spectrum.of(b)
    assert sa.relative_error(sb) == float((sa.values - sb.values).norm() / sb.values.norm())
    assert P.relative_error(sa, sb.values) == sa.relative_error(sb)
    z = torch.as_tensor(rng.standard_normal(8) + 1j * rng.standard_normal(8))
    want = float((z - z.conj()).abs().norm() / z.abs().norm())
    assert P.relative_error(z, z.conj()) == pytest.approx(want)


_S = P.Spectrum.of


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: P.relative_error(_S(torch.ones(8)), _S(torch.ones(9))), ValueError, "b"),
        (lambda: P.relative_error(_S(torch.ones(8), fs=2.0), _S(torch.ones(8))), ValueError, "fs"),
        (
            lambda: P.relative_error(_S(torch.ones(4, 4)), _S(torch.ones(4, 4), ndim=2)),
            ValueError,
            "ndim",
        ),
        (
            lambda: P.relative_error(_S(torch.ones(8)), _S(torch.ones(8), shift=False)),
            ValueError,
            "shift",
        ),
        (lambda: P.relative_error(torch.ones(3), torch.ones(4)), ValueError, "b"),
        (lambda: P.relative_error(torch.ones(3), torch.zeros(3)), ValueError, "b"),
        (lambda: P.relative_error("a", torch.ones(3)), TypeError, "a"),
        (lambda: P.Spectrum(torch.ones(4)).same_grid(torch.ones(4)), TypeError, "other"),
        (lambda: P.Spectrum("x"), TypeError, "values"),
        (lambda: P.Spectrum(torch.ones(4), ndim=2), ValueError, "values"),
        (lambda: P.Spectrum(torch.ones(4), ndim=3), ValueError, "ndim"),
        (lambda: P.Spectrum(torch.ones(4), fs=-1.0), ValueError, "fs"),
        (lambda: P.Spectrum(torch.ones(4), fs="8k"), TypeError, "fs"),
        (lambda: P.Spectrum(torch.ones(4), shift=1), TypeError, "shift"),
        (lambda: P.Spectrum(torch.ones(4)).radial_profile(), ValueError, "ndim"),
        (lambda: P.Spectrum(torch.zeros(4)).normalized(), ValueError, "normalized"),
        (lambda: P.Spectrum(torch.ones(4)).band_share(0.3, 0.1), ValueError, "f_hi"),
        (lambda: P.Spectrum(torch.ones(2, 4)).plot(), ValueError, "values"),
        (lambda: P.Spectrum.of(torch.ones(4), ndim=2), ValueError, "x"),
    ],
)
def test_spectrum_errors_name_the_argument(call, exc, name):
    assert_raises_naming(call, exc, name)


# ------------------------------------- chapter 5: per-sample spectra, spread, fit, scrambling
def test_sample_spectra_give_algorithm1_class_means(rng):
    x = torch.as_tensor(rng.standard_normal((12, 3, 8, 6)))
    x[2, 1] = 0.0  # a dead channel is skipped, as SpectrumMean(on_zero="skip") does
    labels = torch.tensor([0, 1, 2] * 4)
    sums, counts = P.sample_spectra(x)
    assert sums.shape == (12, 8, 6) and counts.tolist()[:3] == [3, 3, 2]
    means = P.class_mean_spectra(sums, counts, labels, 3)
    for k in range(3):
        ref = P.SpectrumMean(2, on_zero="skip").update(x[labels == k]).mean
        assert torch.allclose(means[k], ref, rtol=1e-12, atol=1e-15)
    keep = np.ones(12, bool)
    keep[2] = False  # algorithm1_reference has no skip: compare class 2 without the dead sample
    sel = keep & (labels.numpy() == 2)
    s2, c2 = P.sample_spectra(x[sel])
    assert np.allclose(s2.sum(0) / c2.sum(), P.algorithm1_reference(x[sel].numpy()), atol=1e-15)
    with pytest.raises(ValueError, match="class"):
        P.class_mean_spectra(sums, counts, torch.zeros(12), 3)


def test_js_spread_equal_disjoint_symmetric_and_bounded(rng):
    p = torch.as_tensor(rng.random((4, 5)))
    assert P.js_spread(torch.stack([p] * 4)) == pytest.approx(0.0, abs=1e-15)
    assert P.js_spread(torch.stack([p, 3 * p])) == pytest.approx(0.0, abs=1e-15)  # scale-free
    disjoint = torch.eye(6).reshape(6, 2, 3)  # six spectra, one bin each
    assert P.js_spread(disjoint) == pytest.approx(math.log(2), rel=1e-15)
    q = torch.as_tensor(rng.random((4, 5)))
    assert P.js_divergence(p, q) == pytest.approx(P.js_divergence(q, p), rel=1e-14)
    assert 0 < P.js_divergence(p, q) < math.log(2)
    # the mean over pairs: three spectra, two equal and one disjoint from both -> 2/3 ln 2
    a, b = torch.tensor([1.0, 1, 0, 0]), torch.tensor([0.0, 0, 2, 5])
    assert P.js_spread(torch.stack([a, a, b])) == pytest.approx(2 / 3 * math.log(2), rel=1e-14)
    # against the definition, written out with scipy's entropy
    from scipy.stats import entropy

    pn, qn = (p / p.sum()).numpy().ravel(), (q / q.sum()).numpy().ravel()
    m = (pn + qn) / 2
    assert P.js_divergence(p, q) == pytest.approx(
        0.5 * entropy(pn, m) + 0.5 * entropy(qn, m), rel=1e-12
    )


def test_resampled_spreads_are_seeded_paired_and_partition_keeps_sizes(rng):
    x = torch.as_tensor(rng.standard_normal((40, 2, 8, 8)))
    x[:20] += torch.linspace(0, 3, 8)  # class 0 has a strong low-frequency component
    labels = torch.tensor([0] * 20 + [1] * 20)
    sums, counts = P.sample_spectra(x)
    observed = P.js_spread(P.class_mean_spectra(sums, counts, labels, 2))
    boot = P.resampled_spreads(sums, counts, labels, 2, 50, seed=3)
    part = P.resampled_spreads(sums, counts, labels, 2, 50, seed=3, kind="partition")
    assert torch.equal(boot, P.resampled_spreads(sums, counts, labels, 2, 50, seed=3))
    assert not torch.equal(boot, P.resampled_spreads(sums, counts, labels, 2, 50, seed=4))
    assert boot.shape == (50,) and float(part.max()) < observed < float(boot.max())
    # paired: the same resamples on spectra scaled per sample give the same spreads
    boot2 = P.resampled_spreads(2 * sums, 2 * counts, labels, 2, 50, seed=3)
    assert torch.allclose(boot, boot2, rtol=1e-12)


@pytest.mark.parametrize("mu", [0.5, 1.0, 1.5])
def test_power_law_fit_recovers_mu_of_synthetic_fields(mu):
    g = torch.Generator().manual_seed(0)
    x = torch.stack([P.power_law_field(64, mu, g) for _ in range(3)])
    fit = P.power_law_fit(P.energy_spectrum(x, ndim=2))
    # Exact power-law energy: the only error is binning (Jensen: log of the annulus mean of
    # rho^(-2 mu) against the mean of log rho^(-2 mu), ~ 2 mu^2 var(log rho) / 1, largest at
    # the second annulus, var ~ (1/4)^2 / 3 / k^2) -- measured +0.002 mu, so 1 % is the bound.
    assert fit.mu.shape == (3,) and torch.allclose(
        fit.mu, torch.full((3,), mu, dtype=torch.float64), rtol=0.01
    )
    assert fit.binning == "mean" and fit.band == (2 / 64, 0.25) and float(fit.radii.min()) > 0
    # annulus sums grow with the circumference (~ rho): mu drops by about one half
    summed = P.power_law_fit(P.energy_spectrum(x, ndim=2), binning="sum")
    assert torch.allclose(summed.mu, torch.full((3,), mu - 0.5, dtype=torch.float64), atol=0.03)
    # the fitted offset: AE = c rho^(-2 mu) has nu = log c
    fit3 = P.power_law_fit(3.0 * P.energy_spectrum(x[0], ndim=2))
    assert float(fit3.nu - fit.nu[0]) == pytest.approx(math.log(3.0), rel=1e-10)


def test_power_law_fit_of_averaged_random_fields():
    """White noise shaped by rho^-1: each bin's energy fluctuates (exponential, chi^2_2 / 2); the
    mean over 32 fields and the ~10-40 bins of each annulus leaves a few percent per annulus, so
    mu within 0.05."""
    g = torch.Generator().manual_seed(1)
    r = P.radial_frequency(64, 64, shift=False)
    noise = torch.fft.fft2(torch.randn(32, 64, 64, generator=g, dtype=torch.float64))
    x = torch.fft.ifft2(noise * torch.where(r > 0, 1 / r, 0.0)).real
    mean = P.SpectrumMean(2).update(x[:, None]).mean
    assert float(P.power_law_fit(mean).mu) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: P.power_law_fit(torch.rand(8, 8), band=(0.0, 0.3)), ValueError, "band"),
        (lambda: P.power_law_fit(torch.rand(8, 8), band=(0.3, 0.2)), ValueError, "band"),
        (lambda: P.power_law_fit(torch.rand(8, 8), band=(0.2, 0.6)), ValueError, "band"),
        (lambda: P.power_law_fit(torch.rand(8, 8), band=(0.4, 0.45)), ValueError, "band"),
        (lambda: P.power_law_fit(torch.rand(8, 8), band=0.3), TypeError, "band"),
        (lambda: P.power_law_fit(torch.rand(8, 8), binning="median"), ValueError, "binning"),
        (lambda: P.power_law_fit(torch.rand(8), band=None), ValueError, "spectrum2d"),
        (lambda: P.js_spread(torch.rand(1, 4)), ValueError, "spectra"),
        (lambda: P.js_spread(torch.rand(4)), ValueError, "spectra"),
        (lambda: P.js_spread(-torch.rand(3, 4)), ValueError, "spectra"),
        (lambda: P.js_spread(torch.zeros(3, 4)), ValueError, "spectra"),
        (lambda: P.js_spread("abc"), TypeError, "spectra"),
        (lambda: P.js_divergence(torch.rand(3), torch.rand(4)), ValueError, "p and q"),
        (lambda: P.js_divergence(torch.rand(3), -torch.rand(3)), ValueError, "q"),
        (lambda: P.sample_spectra(torch.rand(2, 8, 8)), ValueError, "batch"),
        (lambda: P.sample_spectra(torch.rand(2, 1, 8, 8), ndim=3), ValueError, "ndim"),
        (
            lambda: P.sample_spectra(torch.rand(2, 1, 8), ndim=1, compute_dtype=torch.int32),
            ValueError,
            "compute_dtype",
        ),
        (
            lambda: P.class_mean_spectra(
                torch.rand(3, 4, 4), torch.ones(3), torch.tensor([0, 1, 5]), 2
            ),
            ValueError,
            "labels",
        ),
        (
            lambda: P.class_mean_spectra(
                torch.rand(3, 4, 4), torch.ones(2), torch.tensor([0, 1, 1]), 2
            ),
            ValueError,
            "counts",
        ),
        (
            lambda: P.class_mean_spectra(torch.rand(3, 4, 4), torch.ones(3), torch.zeros(3), 1),
            ValueError,
            "n_classes",
        ),
        (
            lambda: P.resampled_spreads(
                torch.rand(2, 4, 4),
                torch.ones(2),
                torch.tensor([0, 1]),
                2,
                5,
                seed=0,
                kind="jackknife",
            ),
            ValueError,
            "kind",
        ),
        (
            lambda: P.resampled_spreads(
                torch.rand(2, 4, 4), torch.ones(2), torch.tensor([0, 1]), 2, 0, seed=0
            ),
            ValueError,
            "n",
        ),
        (lambda: P.phase_scramble(torch.rand(4, 4), generator=0), TypeError, "generator"),
        (lambda: P.phase_scramble(torch.rand(4)), ValueError, "x"),
        (lambda: P.phase_scramble(torch.rand(4, 4) + 0j), TypeError, "x"),
    ],
)
def test_chapter5_helpers_name_the_bad_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_phase_scramble_keeps_the_energy_spectrum_and_the_mean(rng):
    x = torch.as_tensor(rng.random((3, 3, 17, 16)))  # odd and even sizes, three channels
    g = torch.Generator().manual_seed(0)
    y = P.phase_scramble(x, g)
    assert y.shape == x.shape and y.dtype == x.dtype and not y.is_complex()
    e_x, e_y = P.energy_spectrum(x, ndim=2), P.energy_spectrum(y, ndim=2)
    assert float(((e_y - e_x).abs() / e_x.max()).max()) < 1e-13  # float64 rounding of 2 FFTs
    assert torch.allclose(y.mean(dim=(-2, -1)), x.mean(dim=(-2, -1)), atol=1e-14)
    assert float((y - x).abs().max()) > 0.1  # the image itself changed
    # the phase is shared by the channels: the cross-spectrum's phase is unchanged
    X, Y = torch.fft.fft2(x), torch.fft.fft2(y)
    assert torch.allclose(X[:, 0] * X[:, 1].conj(), Y[:, 0] * Y[:, 1].conj(), atol=1e-9)
    # seeded; float32 in, float32 out; 1-D works
    assert torch.equal(y, P.phase_scramble(x, torch.Generator().manual_seed(0)))
    assert P.phase_scramble(x.float(), g).dtype == torch.float32
    s = torch.as_tensor(rng.random(32))
    e1 = P.energy_spectrum(P.phase_scramble(s, g, ndim=1))
    assert float(((e1 - P.energy_spectrum(s)).abs() / P.energy_spectrum(s).max()).max()) < 1e-13


def test_occupied_bandwidth_closed_forms():
    n = 64
    f = P.frequency_axis(n, shift=False)
    flat = torch.ones(n, dtype=torch.float64)  # white: |f| <= B holds (2 B n + 1) / n of it
    for energy in (0.25, 0.5, 0.9):
        b = float(P.occupied_bandwidth(flat, f, energy))
        k = math.ceil((energy * n - 1) / 2)  # smallest k with 2k + 1 >= energy * n
        assert b == pytest.approx(k / n, abs=1e-15)
    line = torch.zeros(2, n, dtype=torch.float64)
    line[0, 5], line[0, n - 5] = 1.0, 1.0  # a cosine at 5/n: all of its energy at |f| = 5/n
    line[1, 0] = 1.0  # DC only
    assert torch.allclose(
        P.occupied_bandwidth(line, f, 0.9), torch.tensor([5 / n, 0.0], dtype=torch.float64)
    )
    # 2-D, radial: a single ring
    r = P.radial_frequency(8, 8, shift=False)
    ring = (r == r[0, 2]).double()
    assert float(P.occupied_bandwidth(ring, r, 1.0)) == pytest.approx(float(r[0, 2]))
    with pytest.raises(ValueError, match="energy"):
        P.occupied_bandwidth(flat, f, 0.0)
    with pytest.raises(ValueError, match="freqs"):
        P.occupied_bandwidth(flat, f[:10], 0.5)
