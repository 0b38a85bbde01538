"""Chapter 7's audio experiment (helpers.nets.feature_audio): the combined feature vector against
closed forms (a Hann periodogram of a sinusoid, the mel filterbank, the DCT-II of the MFCC), the
reconstructed Network-audio-2 / -3, the configuration rules, the FSDD split by speaker and its
standardisation, and train_or_load's per-epoch test metric."""

from __future__ import annotations

import math
import time

import pytest
import torch

from helpers import data, nets, postshift, train
from helpers.nets import feature_audio as FA
from conftest import assert_raises_naming, require_dataset

QUICK = FA.FEATURE_SPECS["quick"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models and 1-D transforms gain nothing from threads; on a busy 2-core machine OpenMP
    spinning makes the feature extraction ten times slower (module scope: it covers the data
    fixture too)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def not_smoke(monkeypatch):
    monkeypatch.delenv("CMT_SMOKE", raising=False)


def _tone(f0, amplitude, n, sr, phase=0.0):
    t = torch.arange(n, dtype=torch.float64)
    return (amplitude * torch.cos(2 * math.pi * f0 * t / sr + phase)).to(torch.float32)


def _frames_db(x, floor=1e-10):
    return 10 * torch.log10(x.clamp_min(floor))


def _power_stft(w, n_fft):
    """|STFT|^2 by torch.stft: periodic Hann, hop n_fft // 4, centred with reflect padding."""
    spec = torch.stft(
        w.to(torch.float64),
        n_fft,
        hop_length=n_fft // 4,
        window=torch.hann_window(n_fft, dtype=torch.float64),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )
    return spec.abs().square()  # (n_fft // 2 + 1, frames)


def _dct2_ortho(n_out, n_in):
    """The orthonormal DCT-II matrix (n_out, n_in), written out: row k is
    sqrt(2/M) cos(pi k (m + 1/2) / M), row 0 scaled by 1/sqrt(2)."""
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    m = torch.arange(n_in, dtype=torch.float64)[None, :]
    d = math.sqrt(2 / n_in) * torch.cos(math.pi * k * (m + 0.5) / n_in)
    d[0] /= math.sqrt(2)
    return d


# ------------------------------------------------------------------------------ FeatureSpec
@pytest.mark.parametrize("spec", [QUICK, FA.FEATURE_SPECS["full"], FA.FeatureSpec(8000, 64, 5, 8)])
def test_feature_spec_length_and_parts_tile_the_vector(spec):
    assert spec.length == spec.n_fft // 2 + 1 + spec.n_mfcc + spec.n_mels
    parts = spec.parts
    assert list(parts) == ["STFT", "MFCC", "mel"]
    covered = [i for s in parts.values() for i in range(spec.length)[s]]
    assert covered == list(range(spec.length))  # in order, no gap, no overlap
    sizes = {k: s.stop - s.start for k, s in parts.items()}
    assert sizes == {"STFT": spec.n_fft // 2 + 1, "MFCC": spec.n_mfcc, "mel": spec.n_mels}
    w = torch.randn(spec.sample_rate // 4, generator=torch.Generator().manual_seed(0))
    v = spec(w)
    assert v.shape == (spec.length,) and v.dtype == torch.float32
    assert spec.batch([w, w[:1000]]).shape == (2, spec.length)


def test_quick_spec_is_233_long():
    assert (QUICK.sample_rate, QUICK.n_fft, QUICK.n_mfcc, QUICK.n_mels) == (8000, 256, 40, 64)
    assert QUICK.length == 233 and FA.FEATURE_SPECS["full"].sample_rate == 16000


def test_stft_part_of_a_sinusoid_is_the_hann_periodogram_closed_form():
    """A cos(2 pi f0 t) with f0 on bin k: |X[k]| = A/2 sum(w) = A/2 * N/2 for a periodic Hann
    window (its DFT is zero beyond bin 1, so the negative frequency leaks nothing into bin k).
    With phase 0 and (len - 1) a multiple of the quarter period the reflect padding continues
    the tone exactly, so every frame, edge frames included, has that power."""
    sr, n_fft = 8000, 256
    for f0, amp in ((1000, 0.5), (1500, 0.2)):
        k = round(f0 * n_fft / sr)
        stft = QUICK(_tone(f0, amp, 8001, sr))[QUICK.parts["STFT"]]
        assert int(stft.argmax()) == k
        expected = 10 * math.log10((amp / 2 * n_fft / 2) ** 2)
        assert float(stft[k]) == pytest.approx(expected, abs=1e-3)
        # any phase, any length: only the edge frames differ, by little
        other = QUICK(_tone(f0, amp, 8000, sr, phase=0.7))[QUICK.parts["STFT"]]
        assert int(other.argmax()) == k and float(other[k]) == pytest.approx(expected, abs=0.1)
    # 6 dB per doubling of the amplitude
    a = QUICK(_tone(1000, 0.25, 8001, sr))[32]
    b = QUICK(_tone(1000, 0.5, 8001, sr))[32]
    assert float(b - a) == pytest.approx(20 * math.log10(2), abs=1e-3)


def test_stft_and_mel_parts_are_db_of_the_frame_mean_power():
    """STFT part: 10 log10 of the frame mean of |torch.stft|^2 (Hann, hop n_fft // 4); mel part:
    10 log10 of the frame mean of the HTK mel filterbank (no norm, 0 .. sr/2) applied to that
    power: logs of means, not means of logs (which differ for a non-stationary clip)."""
    import torchaudio.functional as AF

    spec = QUICK
    g = torch.Generator().manual_seed(1)
    w = 0.1 * torch.randn(6000, generator=g) + _tone(700, 0.3, 6000, 8000)
    w[:3000] *= 0.01  # non-stationary: a quiet first half
    v = spec(w).to(torch.float64)
    power = _power_stft(w, spec.n_fft)
    stft_part = v[spec.parts["STFT"]]
    assert torch.allclose(stft_part, 10 * torch.log10(power.mean(-1)), atol=2e-3)
    assert not torch.allclose(stft_part, _frames_db(power).mean(-1), atol=1.0)
    fb = AF.melscale_fbanks(
        spec.n_fft // 2 + 1, 0.0, spec.sample_rate / 2, spec.n_mels, spec.sample_rate
    ).to(torch.float64)
    mel = fb.T @ power
    assert torch.allclose(v[spec.parts["mel"]], 10 * torch.log10(mel.mean(-1)), atol=2e-3)


def test_mfcc_part_is_the_frame_mean_of_the_orthonormal_dct_of_each_frames_log_mel():
    """MFCC part: DCT-II (ortho, written out here) of 10 log10 of each frame's mel power, then
    the frame mean; nothing clipped, even where the clip's mel range exceeds 80 dB (torchaudio's
    MFCC transform would clip at top_db=80)."""
    import torchaudio.functional as AF

    spec = QUICK
    w = 0.3 * torch.randn(8000, generator=torch.Generator().manual_seed(2))
    w[4000:] *= 1e-5  # a 100 dB drop: top_db clipping would change the result
    power = _power_stft(w, spec.n_fft)
    fb = AF.melscale_fbanks(
        spec.n_fft // 2 + 1, 0.0, spec.sample_rate / 2, spec.n_mels, spec.sample_rate
    ).to(torch.float64)
    db = _frames_db(fb.T @ power)
    assert float(db.max() - db.min()) > 80
    d = _dct2_ortho(spec.n_mfcc, spec.n_mels)
    assert torch.allclose(d @ d.T, torch.eye(spec.n_mfcc, dtype=torch.float64), atol=1e-12)
    v = spec(w).to(torch.float64)
    assert torch.allclose(v[spec.parts["MFCC"]], (d @ db).mean(-1), atol=5e-3)


def test_a_clip_shorter_than_n_fft_is_zero_padded():
    short = torch.randn(100, generator=torch.Generator().manual_seed(3))
    v = QUICK(short)
    assert v.shape == (233,) and bool(torch.isfinite(v).all())
    padded = torch.nn.functional.pad(short, (0, QUICK.n_fft - 100))
    assert torch.equal(v, QUICK(padded))
    assert QUICK(torch.ones(1)).shape == (233,)


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: FA.FeatureSpec(n_mfcc=65, n_mels=64), ValueError, "n_mfcc"),
        (lambda: FA.FeatureSpec(n_fft=8), ValueError, "n_fft"),
        (lambda: FA.FeatureSpec(sample_rate=8000.0), TypeError, "sample_rate"),
        (lambda: QUICK(torch.zeros(2, 300)), ValueError, "waveform"),
        (lambda: QUICK(torch.zeros(300, dtype=torch.complex64)), TypeError, "waveform"),
        (lambda: QUICK("clip"), TypeError, "waveform"),
    ],
)
def test_feature_spec_bad_input_names_the_argument(call, exc, word):
    assert_raises_naming(call, exc, word)


# ------------------------------------------------------------------------------ the networks
@pytest.mark.parametrize("length", [233, 101, 64])
def test_network_audio_2_features_keep_the_length(length):
    torch.manual_seed(0)
    net = FA.NetworkAudio2(length, n_classes=7, width=3).eval()
    x = torch.randn(4, 1, length)
    assert net.features(x).shape == (4, 3, length)
    assert net(x).shape == (4, 7)
    layers = [m for m in net.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.Linear))]
    assert len(layers) == 5  # five layers with weights


@pytest.mark.parametrize("length", [233, 101])
def test_network_audio_3_with_an_all_pass_fourier_filter_is_the_plain_network(length):
    torch.manual_seed(0)
    plain = FA.NetworkAudio3(length, 10, 4).eval()
    allpass = postshift.FourierFilter.from_gain(torch.ones(length, dtype=torch.float64), ndim=1)
    filt = FA.NetworkAudio3(length, 10, 4, input_filter=allpass).eval()
    filt.load_state_dict({**plain.state_dict(), "input_filter.H": filt.input_filter.H})
    x = torch.randn(3, 1, length)
    assert plain(x).shape == (3, 10)
    assert torch.allclose(filt(x), plain(x), atol=1e-5)
    layers = [m for m in plain.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.Linear))]
    assert len(layers) == 3  # three layers with weights


def test_network_audio_3_input_norm_removes_a_filters_overall_gain():
    """In training mode the input batch norm divides by the batch's std: a filter of gain 4
    (H = 2) gives the plain network's output (up to BN's eps)."""
    torch.manual_seed(0)
    plain = FA.NetworkAudio3(64, 10, 4).train()
    louder = postshift.FourierFilter.from_gain(4 * torch.ones(64, dtype=torch.float64), ndim=1)
    filt = FA.NetworkAudio3(64, 10, 4, input_filter=louder).train()
    filt.load_state_dict({**plain.state_dict(), "input_filter.H": filt.input_filter.H})
    x = torch.randn(8, 1, 64)
    assert torch.allclose(filt(x), plain(x), atol=1e-4)


def test_learnable_filter_1d_is_the_identity_at_init_and_a_circular_correlation():
    filt = nets.LearnableFilter(1, 9, ndim=1)
    x = torch.randn(5, 1, 233)
    assert torch.allclose(filt(x), x, atol=1e-6)
    params = [p for p in filt.parameters() if p.requires_grad]
    assert params and sum(p.numel() for p in params) == 9
    # with any weights: y[n] = sum_k w[k] x[(n + k - 4) mod L] (cross-correlation, wrapped)
    w = torch.randn(9, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        filt.conv.weight.copy_(w.view(1, 1, 9))
    want = sum(w[k] * torch.roll(x, 4 - k, dims=-1) for k in range(9))
    assert torch.allclose(filt(x), want, atol=1e-5)


def test_learnable_filter_2d_is_unchanged_and_even_sizes_fail():
    filt = nets.LearnableFilter(3, 5)  # ndim=2 by default
    x = torch.randn(2, 3, 16, 12)
    assert filt.conv.weight.shape == (3, 1, 5, 5)
    assert torch.allclose(filt(x), x, atol=1e-6)
    assert torch.allclose(nets.LearnableFilter(3, 5, ndim=2)(x), x, atol=1e-6)
    for ndim in (1, 2):
        assert_raises_naming(lambda d=ndim: nets.LearnableFilter(1, 8, ndim=d), ValueError, "size")
    assert_raises_naming(lambda: nets.LearnableFilter(1, 9, ndim=3), ValueError, "ndim")


# -------------------------------------------------------------------------- the configuration
@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: FA.FeatureAudioConfig(split="a-train"), ValueError, "split"),
        (lambda: FA.FeatureAudioConfig(arch="network_audio_2"), ValueError, "split"),
        (lambda: FA.FeatureAudioConfig(split="b-test"), ValueError, "split"),
        (lambda: FA.FeatureAudioConfig(input="filter"), ValueError, "filter_key"),
        (lambda: FA.FeatureAudioConfig(filter_key="abc"), ValueError, "filter_key"),
        (
            lambda: FA.FeatureAudioConfig(input="learnable", filter_key="abc"),
            ValueError,
            "filter_key",
        ),
        (
            lambda: FA.FeatureAudioConfig(
                arch="network_audio_2", split="a-train", input="learnable"
            ),
            ValueError,
            "input",
        ),
        (lambda: FA.FeatureAudioConfig(input="mirror"), ValueError, "input"),
        (lambda: FA.FeatureAudioConfig(filter_key=3), TypeError, "filter_key"),
        (lambda: FA.FeatureAudioConfig(n_mfcc=80), ValueError, "n_mfcc"),
        (lambda: FA.FeatureAudioConfig(dataset="flowers"), ValueError, "dataset"),
        (
            lambda: FA.FeatureAudioConfig(input="filter", filter_key="k").build(),
            TypeError,
            "input_filter",
        ),
        (
            lambda: FA.FeatureAudioConfig().build(input_filter=torch.nn.Identity()),
            ValueError,
            "input_filter",
        ),
        (
            lambda: FA.FeatureAudioConfig(input="learnable").build(torch.nn.Identity()),
            ValueError,
            "input_filter",
        ),
        (lambda: FA.feature_audio_config("network_audio_9", "quick"), ValueError, "arch"),
        (lambda: FA.feature_audio_config("network_audio_2", "quick", data="x"), ValueError, "data"),
    ],
)
def test_feature_audio_config_bad_input_names_the_argument(call, exc, word):
    assert_raises_naming(call, exc, word)


def test_feature_audio_config_builds_each_input():
    cfg = FA.FeatureAudioConfig(width=2)
    assert isinstance(cfg.build(), FA.NetworkAudio3)
    assert isinstance(cfg.build().input_filter, torch.nn.Identity)
    learn = cfg.replace(input="learnable", learnable_size=5).build()
    assert isinstance(learn.input_filter, nets.LearnableFilter)
    assert learn.input_filter.conv.weight.shape == (1, 1, 5)
    fixed = postshift.FourierFilter.from_gain(torch.ones(233, dtype=torch.float64), ndim=1)
    net = cfg.replace(input="filter", filter_key=fixed.key()).build(input_filter=fixed)
    assert net.input_filter is fixed
    a2 = FA.FeatureAudioConfig(arch="network_audio_2", split="a-train", width=2).build()
    assert isinstance(a2, FA.NetworkAudio2) and a2(torch.randn(2, 1, 233)).shape == (2, 10)
    assert nets.family("network_audio_2") is nets.family("network_audio_3") is FA.FeatureAudioConfig


def test_feature_audio_config_by_mode_and_data():
    q2 = FA.feature_audio_config("network_audio_2", "quick")
    q3 = FA.feature_audio_config("network_audio_3", "quick")
    spec = FA.FEATURE_SPECS["quick"]
    for cfg in (q2, q3):
        assert (cfg.dataset, cfg.n_classes) == ("fsdd", 10)
        assert (cfg.sample_rate, cfg.n_fft, cfg.n_mfcc, cfg.n_mels) == (8000, 256, 40, 64)
        assert cfg.spec() == spec
    assert (q2.split, q3.split) == ("a-train", "b-train")
    assert (q2.width, q2.epochs) == (8, 15) and q3.epochs == 10
    f2 = FA.feature_audio_config("network_audio_2", "full")
    f3 = FA.feature_audio_config("network_audio_3", "full")
    assert (f2.dataset, f2.n_classes, f3.dataset, f3.n_classes) == (
        "urbansound8k",
        10,
        "dcase2016",
        15,
    )
    assert f2.spec() == f3.spec() == FA.FEATURE_SPECS["full"] and f2.sample_rate == 16000
    assert f3.spec().length == 257 + 40 + 64
    # the data can be chosen apart from the mode
    paper = FA.feature_audio_config("network_audio_3", "quick", data="paper")
    assert (paper.dataset, paper.n_classes, paper.sample_rate) == ("dcase2016", 15, 16000)
    assert paper.epochs == q3.epochs
    assert FA.feature_audio_config("network_audio_3", "full", data="fsdd").dataset == "fsdd"
    assert FA.FeatureAudioConfig.track_test is True and q3.track_test
    assert nets.NetConfig.track_test is False


def test_feature_audio_keys_differ_by_input_filter_and_seed():
    base = FA.feature_audio_config("network_audio_3", "quick")
    variants = [
        base,
        base.replace(seed=1),
        base.replace(input="learnable"),
        base.replace(input="filter", filter_key="aaa"),
        base.replace(input="filter", filter_key="bbb"),
        FA.feature_audio_config("network_audio_2", "quick"),
    ]
    keys = [v.key() for v in variants]
    assert len(set(keys)) == len(keys)
    assert base.key() == FA.feature_audio_config("network_audio_3", "quick").key()
    assert nets.from_dict(base.to_dict()) == base


# --------------------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def fsdd_features():
    require_dataset("fsdd", data.SOURCES["fsdd"].data_path)
    return {s: FA.audio_feature_tensors(s, "fsdd", QUICK) for s in FA.AUDIO_SPLITS}


def _fsdd_clips(speakers):
    """Waveforms of every FSDD clip (train and test splits) of the given speakers."""
    sets = [data.load("fsdd", p, mode="full") for p in ("train", "test")]
    return [ds.waveform(i) for ds in sets for i, s in enumerate(ds.speakers) if s in speakers]


def test_fsdd_splits_by_speaker_sizes_and_balance(fsdd_features):
    sizes = {s: len(fsdd_features[s][1]) for s in FA.AUDIO_SPLITS}
    assert sizes == {"a-train": 1350, "a-test": 150, "b-train": 1000, "b-test": 500}
    for s, (x, y) in fsdd_features.items():
        assert x.shape == (sizes[s], 1, 233) and x.dtype == torch.float32
        assert y.dtype == torch.int64
        assert torch.bincount(y, minlength=10).tolist() == [sizes[s] // 10] * 10
    assert not set(FA.SPEAKERS_A) & set(FA.SPEAKERS_B)
    train_ds = data.load("fsdd", "train", mode="full")
    test_ds = data.load("fsdd", "test", mode="full")
    assert set(train_ds.speakers) == set(test_ds.speakers) == {*FA.SPEAKERS_A, *FA.SPEAKERS_B}
    # the counts follow from the speaker rule: A by takes (45 train / 5 test per digit),
    # B by voice (50 takes per digit and speaker)
    count = lambda ds, who: sum(s in who for s in ds.speakers)  # noqa: E731
    assert count(train_ds, FA.SPEAKERS_A) == 1350 and count(test_ds, FA.SPEAKERS_A) == 150
    assert count(train_ds, FA.SPEAKERS_B[:2]) + count(test_ds, FA.SPEAKERS_B[:2]) == 1000
    assert FA.SPEAKERS_B[2] == "yweweler" and "yweweler" not in FA.SPEAKERS_B[:2]


def test_b_train_is_standardised_and_b_test_uses_its_statistics(fsdd_features):
    x, _ = fsdd_features["b-train"]
    xt, _ = fsdd_features["b-test"]
    assert float(x.mean((0, 1)).abs().max()) < 1e-4
    assert float((x.std(0) - 1).abs().max()) < 1e-4  # torch's (N - 1) std, as the helper's
    # the test split is NOT standardised by its own statistics: a new voice shifts the mean
    assert float(xt.mean((0, 1)).abs().max()) > 0.1
    # recompute b-train's raw statistics from the waveforms, and a few yweweler clips
    raw_train = QUICK.batch(_fsdd_clips(FA.SPEAKERS_B[:2])).to(torch.float64)
    mean, std = raw_train.mean(0), raw_train.std(0)
    raw_test = QUICK.batch(_fsdd_clips(("yweweler",))[::100]).to(torch.float64)
    mine = (raw_test - mean) / std
    theirs = xt[:, 0].to(torch.float64)
    nearest = torch.cdist(mine, theirs).min(1).values
    assert float(nearest.max()) < 1e-2, "each recomputed b-test row is a row of b-test"


def test_a_test_uses_a_train_statistics(fsdd_features):
    x, _ = fsdd_features["a-train"]
    assert float(x.mean((0, 1)).abs().max()) < 1e-4
    assert float((x.std(0) - 1).abs().max()) < 1e-4
    xt, _ = fsdd_features["a-test"]
    assert not torch.allclose(xt.mean((0, 1)), torch.zeros(233), atol=1e-3)


def test_features_are_computed_once(fsdd_features):
    t0 = time.perf_counter()
    again = FA.audio_feature_tensors("b-test", "fsdd", QUICK)
    assert time.perf_counter() - t0 < 0.5
    assert torch.equal(again[0], fsdd_features["b-test"][0])
    assert torch.equal(again[1], fsdd_features["b-test"][1])


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: FA.audio_feature_tensors("b-train", "urbansound8k", QUICK), ValueError, "b-train"),
        (lambda: FA.audio_feature_tensors("a-test", "dcase2016", QUICK), ValueError, "a-test"),
        (
            lambda: FA.audio_feature_tensors("b-test", "fsdd", FA.FEATURE_SPECS["full"]),
            ValueError,
            "sample_rate",
        ),
        (lambda: FA.audio_feature_tensors("c-test", "fsdd", QUICK), ValueError, "split"),
        (lambda: FA.audio_feature_tensors("a-test", "mnist", QUICK), ValueError, "dataset"),
        (lambda: FA.audio_feature_tensors("a-test", "fsdd", {"n_fft": 256}), TypeError, "spec"),
        (
            lambda: FA.feature_loader(torch.zeros(4, 1, 8), torch.zeros(3, dtype=torch.long)),
            ValueError,
            "labels",
        ),
        (lambda: FA.feature_loader(torch.zeros(4, 1, 8), [0, 1, 2, 3]), TypeError, "labels"),
        (lambda: FA.feature_loader(None, torch.zeros(4, dtype=torch.long)), TypeError, "x"),
        (lambda: FA.feature_loader("x", torch.zeros(4, dtype=torch.long)), TypeError, "x"),
        (
            lambda: FA.feature_loader(torch.zeros(4, 8), torch.zeros(4, dtype=torch.long)),
            ValueError,
            "x",
        ),
    ],
)
def test_audio_data_bad_input_names_the_argument(call, exc, word):
    assert_raises_naming(call, exc, word)


def test_feature_loader_shuffle_is_seeded():
    x = torch.arange(40, dtype=torch.float32).view(40, 1, 1)
    y = torch.arange(40) % 10

    def order(seed, shuffle=True):
        loader = FA.feature_loader(x, y, 8, shuffle=shuffle, seed=seed)
        return torch.cat([xb.flatten() for xb, _ in loader]).tolist()

    assert order(0) == order(0) and order(3) == order(3)
    assert order(0) != order(3)
    assert sorted(order(0)) == list(range(40))
    assert order(0, shuffle=False) == list(range(40)) == order(5, shuffle=False)
    # both passes of one loader are seeded too: the second differs from the first
    loader = FA.feature_loader(x, y, 40, shuffle=True, seed=0)
    first, second = (next(iter(loader))[0].flatten().tolist() for _ in range(2))
    assert first != second
    xb, yb = next(iter(FA.feature_loader(x, y, 8)))
    assert torch.equal(yb, xb.flatten().long() % 10), "pairs stay together"


# ------------------------------------------------------------------- train_or_load, test curve
def test_train_or_load_records_the_test_accuracy_of_every_epoch(fsdd_features, tmp_path):
    cfg = FA.FeatureAudioConfig(epochs=2, width=2, batch_size=64)
    model, rec = train.train_or_load(cfg, cache=tmp_path, device="cpu", log=None)
    assert not rec.loaded and len(rec.history) == 2
    assert all(0 <= row["test_accuracy"] <= 1 for row in rec.history)
    assert rec.history[-1]["test_accuracy"] == rec.accuracy
    # that is the final model's accuracy on b-test (the unseen voice)
    _, test_loader = cfg.loaders()
    assert train.evaluate(model, test_loader, "cpu") == pytest.approx(rec.accuracy, abs=1e-12)
    _, again = train.train_or_load(cfg, cache=tmp_path, device="cpu", log=None)
    assert again.loaded and again.history == rec.history


@pytest.mark.parametrize("mode", sorted(FA.FEATURE_SPECS))
def test_no_mel_band_of_a_chapter_spec_is_empty(mode):
    """An empty mel filter gives a constant -100 dB band (zero after standardising) and a DCT
    input that carries no information: the specs are chosen so that none is."""
    import torchaudio.functional as AF

    spec = FA.FEATURE_SPECS[mode]
    fb = AF.melscale_fbanks(
        spec.n_fft // 2 + 1, 0.0, spec.sample_rate / 2, spec.n_mels, spec.sample_rate
    )
    assert bool((fb.max(0).values > 0).all())
