"""Chapter 7's audio experiment (Wu et al. 2022, sec 5.2.1, figs 23-25, Fig. A2): combined audio
features and the reconstructed Network-audio-2 and Network-audio-3.

**The input.** Step (1) of section 5.2.1 extracts "six features ... STFT, MFCC, Chroma, Mel
Spectrogram, Spectral Contrast and Tonnetz" and "combine[s] these features as input"; a 1-D CNN
then runs over the combination. The book reads this as the common recipe of that time: each
feature averaged over the clip's frames and the averages concatenated into **one vector per
clip**. :class:`FeatureSpec` computes the three of the six that torchaudio provides, with
STFT windows of ``n_fft`` samples (Hann, hop ``n_fft // 4``): the **STFT** power (``n_fft // 2 +
1`` bins, dB of the time mean), the **MFCC** (``n_mfcc`` coefficients, DCT of ``n_mels`` mel
bands in dB, time mean) and the **mel spectrogram** (``n_mels`` bands, dB of the time mean), in
that order. Chroma,
spectral contrast and tonnetz are left out: torchaudio 2.9 (the book's pinned stack) has none
of them, and librosa, which has all three, would add numba and llvmlite to the stack for
25 of the 193 dimensions the usual combination has (12 + 7 + 6). Each dimension is then
standardised with the mean and standard deviation of the network's own training split.

**The networks.** Fig. A2 (the layer tables) is lost in the text the book works from; the text
says Network-audio-2 has 5 layers and is trained on data A to give the feature spectrum, and
Network-audio-3 has 3 layers and is trained on data B, original or post-shifted. The book's
reconstruction, on the ``(N, 1, L)`` feature vectors:

* :class:`NetworkAudio2` -- ``conv1``, ``conv2``, ``conv3``: conv 1-D kernel 5, padding 2
  (1 -> c -> c -> c) - BN - ReLU, length kept: the **feature** (``c`` channels on the input's
  grid, so that ``FEATURE(f)`` and ``INPUT(f)`` share their frequencies); then max-pool 4,
  ``fc1`` (-> 64) - ReLU and ``fc2`` (-> K). Five layers with weights.
* :class:`NetworkAudio3` -- ``input_filter`` (identity, a fixed ``postshift.FourierFilter`` or a
  learnable filter) and ``input_norm`` (one batch norm over the whole vector, so that a filter's
  overall gain does not matter), then ``conv1`` (1 -> c) - BN - ReLU - max-pool 2, ``conv2``
  (c -> 2c) - BN - ReLU - max-pool 2 and ``fc`` (-> K). Three layers with weights.

The paper sends the post-shifted audio to "the same network but without pooling layer"; under
the book's reading the post-shift keeps the vector's length, so both arms use the same network
(see chapter 7 for the reading in which the pooling had to go).

**The data.** Quick mode: FSDD split by speaker -- A = george, jackson, lucas (Network-audio-2:
train = takes 5-49, test = takes 0-4, the dataset's own rule); B = nicolas, theo, yweweler
(Network-audio-3: train = every clip of nicolas and theo, test = every clip of yweweler, so that
B's test measures generalisation to a voice the network has not heard). Full mode:
A = UrbanSound8K (train = folds 1-9, test = fold 10, official folds), B = DCASE 2016 task 1 (TUT
Acoustic Scenes 2016 development set, official fold 1), both at 16 kHz.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import torch
from torch import nn

from .. import checks
from . import NetConfig, register
from .segmentation import LearnableFilter

__all__ = [
    "FeatureSpec",
    "FEATURE_SPECS",
    "AUDIO_SPLITS",
    "SPEAKERS_A",
    "SPEAKERS_B",
    "NetworkAudio2",
    "NetworkAudio3",
    "FeatureAudioConfig",
    "FEATURE_AUDIO_BUDGETS",
    "AUDIO_DATA",
    "feature_audio_config",
    "audio_feature_tensors",
    "feature_loader",
]

#: FSDD's speakers of half A and half B (quick mode): disjoint, three each
SPEAKERS_A = ("george", "jackson", "lucas")
SPEAKERS_B = ("nicolas", "theo", "yweweler")
#: the splits of chapter 7's audio data: A (train/test of Network-audio-2), B (of Network-audio-3)
AUDIO_SPLITS = ("a-train", "a-test", "b-train", "b-test")


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
    """The combined feature vector of one clip (see the module docstring): time means of the STFT
    log power (``n_fft // 2 + 1``), the MFCC (``n_mfcc``) and the log-mel spectrogram (``n_mels``),
    concatenated; ``length`` is their sum. ``sample_rate`` is the clips' rate."""

    sample_rate: int = 8000
    n_fft: int = 256
    n_mfcc: int = 40
    n_mels: int = 64

    def __post_init__(self):
        checks.integer(self.sample_rate, "sample_rate", 1000)
        checks.integer(self.n_fft, "n_fft", 16)
        checks.integer(self.n_mels, "n_mels", 2)
        checks.integer(self.n_mfcc, "n_mfcc", 1)
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc ({self.n_mfcc}) must be at most n_mels ({self.n_mels})")

    @property
    def length(self) -> int:
        return self.n_fft // 2 + 1 + self.n_mfcc + self.n_mels

    @property
    def parts(self) -> dict[str, slice]:
        """Where each feature sits in the vector: ``{"STFT": slice, "MFCC": ..., "mel": ...}``."""
        a = self.n_fft // 2 + 1
        b = a + self.n_mfcc
        return {"STFT": slice(0, a), "MFCC": slice(a, b), "mel": slice(b, b + self.n_mels)}

    def transforms(self):
        """``(spectrogram, mel scale, DCT matrix)``: torchaudio's power STFT (Hann window of
        ``n_fft``, hop ``n_fft // 4``), its mel filterbank and the orthonormal DCT-II."""
        import torchaudio.functional as AF
        import torchaudio.transforms as T

        spec = T.Spectrogram(n_fft=self.n_fft, hop_length=self.n_fft // 4, power=2.0)
        mel = T.MelScale(self.n_mels, self.sample_rate, n_stft=self.n_fft // 2 + 1)
        return spec, mel, AF.create_dct(self.n_mfcc, self.n_mels, "ortho")

    def __call__(self, waveform: torch.Tensor, _transforms=None) -> torch.Tensor:
        """The vector ``(length,)`` float32 of one clip ``(n,)`` (shorter clips are zero-padded
        to ``n_fft`` samples): ``10 log10`` of the time-mean power per STFT bin; the time mean of
        the MFCC (DCT of each frame's mel power in dB, not clipped); ``10 log10`` of the time-mean
        power per mel band. (The MFCC part is a mean of logs, the other two logs of means, so the
        MFCC is not a linear function of the mel part.) Powers are floored at 1e-10."""
        w = checks.tensor(waveform, "waveform", allow_complex=False).to(torch.float32)
        if w.ndim != 1:
            raise ValueError(f"waveform must be one clip (n,), got shape {tuple(w.shape)}")
        if len(w) < self.n_fft:
            w = nn.functional.pad(w, (0, self.n_fft - len(w)))
        spec, mel, dct = _transforms or self.transforms()
        power = spec(w)  # (n_fft // 2 + 1, frames)
        mel_power = mel(power)  # (n_mels, frames)

        def db(p):
            return 10 * torch.log10(p.clamp_min(1e-10))

        mfcc = db(mel_power).transpose(0, 1) @ dct  # (frames, n_mfcc)
        return torch.cat([db(power.mean(-1)), mfcc.mean(0), db(mel_power.mean(-1))])

    def batch(self, waveforms) -> torch.Tensor:
        """``(N, length)`` for a sequence of clips."""
        tf = self.transforms()
        return torch.stack([self(w, tf) for w in waveforms])


#: the feature vector per run mode: 8 kHz (FSDD) in quick mode, 16 kHz in full mode
FEATURE_SPECS = {
    "quick": FeatureSpec(8000, 256, 40, 64),
    "full": FeatureSpec(16000, 512, 40, 64),
}


def _conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv1d(c_in, c_out, 5, padding=2), bn=nn.BatchNorm1d(c_out), relu=nn.ReLU()
        )
    )


class NetworkAudio2(nn.Module):
    """The reconstructed Network-audio-2 (module docstring). ``features(x)``: ``(N, c, L)``, the
    map ``FEATURE(f)`` is measured on."""

    def __init__(self, length: int, n_classes: int = 10, width: int = 16):
        super().__init__()
        length = checks.integer(length, "length", 8)
        c = checks.integer(width, "width", 1)
        self.conv1, self.conv2, self.conv3 = _conv(1, c), _conv(c, c), _conv(c, c)
        self.pool = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(c * (length // 4), 64)
        self.fc2 = nn.Linear(64, checks.integer(n_classes, "n_classes", 2))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(self.conv2(self.conv1(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.features(x)).flatten(1)
        return self.fc2(torch.relu(self.fc1(h)))


class NetworkAudio3(nn.Module):
    """The reconstructed Network-audio-3 (module docstring); ``input_filter`` is applied to the
    vector first (``None``: identity)."""

    def __init__(
        self,
        length: int,
        n_classes: int = 10,
        width: int = 16,
        input_filter: nn.Module | None = None,
    ):
        super().__init__()
        length = checks.integer(length, "length", 8)
        c = checks.integer(width, "width", 1)
        self.input_filter = input_filter if input_filter is not None else nn.Identity()
        self.input_norm = nn.BatchNorm1d(1)
        self.conv1, self.conv2 = _conv(1, c), _conv(c, 2 * c)
        self.pool = nn.MaxPool1d(2)
        self.fc = nn.Linear(2 * c * (length // 4), checks.integer(n_classes, "n_classes", 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.input_norm(self.input_filter(x))
        h = self.pool(self.conv2(self.pool(self.conv1(h))))
        return self.fc(h.flatten(1))


#: what Network-audio-3's input carries (the original vector, a fixed filter's output, or a
#: learnable filter's)
INPUTS = ("original", "filter", "learnable")


@register
@dataclasses.dataclass(frozen=True)
class FeatureAudioConfig(NetConfig):
    """A trained network of chapter 7's audio experiment (the key of ``train.train_or_load``).

    ``arch``: ``"network_audio_2"`` (trained on ``"a-train"``) or ``"network_audio_3"`` (on
    ``"b-train"``); ``dataset``: ``"fsdd"`` (both halves, by speaker), ``"urbansound8k"`` (A) or
    ``"dcase2016"`` (B); ``input`` (Network-audio-3 only): ``"original"``, ``"filter"`` (a fixed
    filter that ``filter_key`` names, e.g. the sha256 of its transfer function; the network is
    then built by a ``build_fn`` that supplies it) or ``"learnable"`` (a learnable filter of
    ``learnable_size`` taps); ``sample_rate``/``n_fft``/``n_mfcc``/``n_mels``: the
    :class:`FeatureSpec`.
    """

    archs = ("network_audio_2", "network_audio_3")
    datasets = ("fsdd", "urbansound8k", "dcase2016")
    track_test = True  # fig 25: test accuracy per epoch

    arch: str = "network_audio_3"
    dataset: str = "fsdd"
    split: str = "b-train"
    epochs: int = 20
    lr: float = 3e-3
    batch_size: int = 32
    weight_decay: float = 1e-4
    width: int = 16
    n_classes: int = 10
    sample_rate: int = 8000
    n_fft: int = 256
    n_mfcc: int = 40
    n_mels: int = 64
    input: str = "original"
    filter_key: str = ""
    learnable_size: int = 9

    def validate(self) -> None:
        checks.integer(self.width, "width", 1)
        checks.integer(self.n_classes, "n_classes", 2)
        checks.integer(self.learnable_size, "learnable_size", 1)
        self._set("split", checks.choice(self.split, "split", ("a-train", "b-train")))
        self._set("input", checks.choice(self.input, "input", INPUTS))
        checks.instance(self.filter_key, "filter_key", str, "a string")
        self.spec()  # validates the feature fields
        want = "a-train" if self.arch == "network_audio_2" else "b-train"
        if self.split != want:
            raise ValueError(f"{self.arch} trains on split {want!r}, got {self.split!r}")
        if self.arch == "network_audio_2" and (self.input != "original" or self.filter_key):
            raise ValueError("input and filter_key apply to network_audio_3 only")
        if (self.input == "filter") != bool(self.filter_key):
            raise ValueError("input='filter' needs a filter_key naming the filter (and only it)")
        half = {"urbansound8k": "a-train", "dcase2016": "b-train"}.get(self.dataset, self.split)
        if half != self.split:
            raise ValueError(f"{self.dataset} is not the data of {self.arch} ({self.split})")
        classes = {"dcase2016": 15}.get(self.dataset, 10)
        if self.n_classes != classes:
            raise ValueError(
                f"n_classes must be {classes} for {self.dataset}, got {self.n_classes}"
            )
        if self.dataset == "fsdd" and self.sample_rate != 8000:
            raise ValueError(
                f"FSDD clips are 8 kHz: sample_rate must be 8000, got {self.sample_rate}"
            )

    def spec(self) -> FeatureSpec:
        return FeatureSpec(self.sample_rate, self.n_fft, self.n_mfcc, self.n_mels)

    def short(self) -> str:
        key = f":{self.filter_key[:8]}" if self.filter_key else ""
        what = "" if self.arch == "network_audio_2" else f" input={self.input}{key}"
        return f"{self.arch}{what} {self.dataset}:{self.split} seed{self.seed}"

    def build(self, input_filter: nn.Module | None = None) -> nn.Module:
        """The untrained network (from torch's global generator: seed first). ``input="filter"``
        needs ``input_filter`` (the module ``filter_key`` names)."""
        length = self.spec().length
        if self.arch == "network_audio_2":
            return NetworkAudio2(length, self.n_classes, self.width)
        if self.input == "filter":
            checks.instance(input_filter, "input_filter", nn.Module, "the filter filter_key names")
        elif input_filter is not None:
            raise ValueError(f"input_filter is for input='filter', this config has {self.input!r}")
        if self.input == "learnable":
            input_filter = LearnableFilter(1, self.learnable_size, ndim=1)
        return NetworkAudio3(length, self.n_classes, self.width, input_filter)

    def loaders(self, root=None, mode: str | None = None):
        """``(train_loader, test_loader)`` of :func:`audio_feature_tensors` (train shuffled and
        seeded from ``seed``)."""
        half = self.split[0]
        x, y = audio_feature_tensors(f"{half}-train", self.dataset, self.spec(), root)
        xt, yt = audio_feature_tensors(f"{half}-test", self.dataset, self.spec(), root)
        return (
            feature_loader(x, y, self.batch_size, shuffle=True, seed=self.seed),
            feature_loader(xt, yt, 256),
        )


_FEATURE_CACHE: dict = {}


def _clips(split: str, dataset: str, sample_rate: int, root):
    """The clips of one split: ``(list of waveforms, labels int64 (N,))``."""
    from .. import data

    half, part = split.split("-")
    if dataset == "fsdd":
        if sample_rate != 8000:
            raise ValueError(f"FSDD clips are 8 kHz; sample_rate must be 8000, got {sample_rate}")
        if half == "a":  # A: the dataset's own rule, test = takes 0-4
            sets, speakers = [data.load("fsdd", part, mode="full", root=root)], SPEAKERS_A
        else:  # B: by speaker, so that the test measures generalisation to a new voice
            sets = [data.load("fsdd", p, mode="full", root=root) for p in ("train", "test")]
            speakers = SPEAKERS_B[:2] if part == "train" else SPEAKERS_B[2:]
        picked = [(ds, i) for ds in sets for i, s in enumerate(ds.speakers) if s in speakers]
    else:
        want = {"urbansound8k": "a", "dcase2016": "b"}[dataset]
        if half != want:
            raise ValueError(
                f"{dataset} is half {want.upper()} of the audio experiment, not {split!r}"
            )
        options = dict(fold=10) if dataset == "urbansound8k" else dict(fold=1)
        ds = data.load(dataset, part, mode="full", root=root, sample_rate=sample_rate, **options)
        picked = [(ds, i) for i in range(len(ds))]
    waves = [ds.waveform(i) for ds, i in picked]
    return waves, torch.stack([ds.labels[i] for ds, i in picked]).to(torch.int64)


def audio_feature_tensors(split: str, dataset: str, spec: FeatureSpec, root=None):
    """``(x float32 (N, 1, L), labels int64 (N,))`` of one of :data:`AUDIO_SPLITS`: the
    :class:`FeatureSpec` vectors of the split's clips, standardised per dimension with the mean
    and standard deviation of its half's training split (``a-train`` or ``b-train``). Computed
    once per process. ``dataset``: ``"fsdd"`` (either half), ``"urbansound8k"`` (A) or
    ``"dcase2016"`` (B)."""
    split = checks.choice(split, "split", AUDIO_SPLITS)
    dataset = checks.choice(dataset, "dataset", FeatureAudioConfig.datasets)
    checks.instance(spec, "spec", FeatureSpec, "a FeatureSpec")
    raw, labels = _raw_features(split, dataset, spec, root)
    ref, _ = _raw_features(f"{split[0]}-train", dataset, spec, root)
    mean, std = ref.mean(0), ref.std(0).clamp_min(1e-6)
    return ((raw - mean) / std)[:, None, :], labels


def _raw_features(split: str, dataset: str, spec: FeatureSpec, root):
    key = (split, dataset, spec, str(root))
    if key not in _FEATURE_CACHE:
        waves, labels = _clips(split, dataset, spec.sample_rate, root)
        _FEATURE_CACHE[key] = (spec.batch(waves), labels)
    return _FEATURE_CACHE[key]


def feature_loader(x, labels, batch_size: int = 32, shuffle: bool = False, seed: int = 0):
    """A DataLoader of ``(vector, label)`` pairs; ``shuffle`` seeded from ``seed``."""
    x = checks.tensor(x, "x", allow_complex=False, min_ndim=3)
    checks.instance(labels, "labels", torch.Tensor, "an int64 tensor of labels")
    if labels.shape != (x.shape[0],):
        raise ValueError(
            f"labels must be (N,) matching x {tuple(x.shape)}, got {tuple(labels.shape)}"
        )
    from . import tensor_loader

    return tensor_loader(x, labels, batch_size, shuffle, seed)


#: chapter 7's audio budgets per mode (Adam with a one-cycle schedule, as chapter 7's
#: segmentation networks; the paper trains both with SGD for 200 epochs)
FEATURE_AUDIO_BUDGETS = {
    "quick": dict(width=8, batch_size=32, epochs={"network_audio_2": 15, "network_audio_3": 10}),
    "full": dict(width=32, batch_size=64, epochs={"network_audio_2": 60, "network_audio_3": 60}),
}


#: chapter 7's audio data: the offline copy (FSDD, both halves) or the paper's two data sets
AUDIO_DATA = {"fsdd": ("fsdd", "fsdd"), "paper": ("urbansound8k", "dcase2016")}


def feature_audio_config(
    arch: str, mode: str | None = None, data: str | None = None, **overrides
) -> FeatureAudioConfig:
    """Chapter 7's configuration of Network-audio-2 (on ``"a-train"``) or -3 (on ``"b-train"``)
    for a run mode (``None``: ``runtime.resolve_mode()``), from :data:`FEATURE_AUDIO_BUDGETS`.
    ``data``: ``"fsdd"`` (FSDD, 8 kHz, :data:`FEATURE_SPECS` ``"quick"``) or ``"paper"``
    (UrbanSound8K for A, DCASE 2016 for B, 16 kHz, ``"full"``); ``None``: FSDD in quick mode and
    in a smoke run (the offline copy), the paper's data in full mode."""
    from .. import runtime

    arch = checks.choice(arch, "arch", FeatureAudioConfig.archs)
    mode = runtime.resolve_mode(mode)
    if data is None:
        data = "fsdd" if runtime.offline_data(mode) else "paper"
    data = checks.choice(data, "data", AUDIO_DATA)
    budget = FEATURE_AUDIO_BUDGETS[mode]
    spec = FEATURE_SPECS["quick" if data == "fsdd" else "full"]
    dataset = AUDIO_DATA[data][0 if arch == "network_audio_2" else 1]
    fields = dict(
        arch=arch,
        dataset=dataset,
        split="a-train" if arch == "network_audio_2" else "b-train",
        width=budget["width"],
        batch_size=budget["batch_size"],
        epochs=budget["epochs"][arch],
        n_classes=15 if dataset == "dcase2016" else 10,
        **dataclasses.asdict(spec),
    )
    return FeatureAudioConfig(**{**fields, **overrides})
