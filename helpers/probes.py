"""Forward hooks that stream layer inputs and outputs into mean energy spectra (paper 001,
eqs 15-20, 26).

:class:`LayerSpectra` hooks named layers of a network; while data flows through it, the *input* and
*output* of every hooked layer are turned into energy spectra and added to a
:class:`helpers.spectra.SpectrumMean` each -- ``psi^x`` and ``psi^y`` of eqs 17-18 for a
convolution, ``psi^y`` and ``psi^a`` of eqs 18 and 26 for an activation -- without keeping any
activation in memory. ``results`` is ``{name: (mean_in, mean_out)}``, ready for
``layers.layer_differences``; ``spectra`` gives the same means as
:class:`helpers.spectra.Spectrum` values that carry their frequency grid. With
``direction="backward"`` the hooks record the spectra of the gradients ``dL/dx`` and ``dL/dy``
instead (full backward hooks), e.g. during training.

    with probes.LayerSpectra(model, probes.layer_names(model, "conv")) as ls:
        ls.run(test_loader)
    psi_x, psi_y = ls.results["features.conv2"]

Averages are over samples and channels (Algorithm 1 of paper 001; eq 18's ``1 / (S_C O_C)``; eq 17
prints only ``1 / S_C``, we divide by the channel count there too so input and output spectra are
on the same scale and CDIFF compares like with like).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import torch
from torch import nn

from . import checks, runtime
from .spectra import Spectrum, SpectrumMean, sample_spectra

__all__ = [
    "LayerSpectra",
    "ClassSpectra",
    "resnet_stages",
    "feature_stages",
    "output_stage",
    "first_conv",
    "kernel_spectrum",
    "SpectrumTrajectory",
    "pooled_mean",
    "layer_names",
    "conv_act_pairs",
    "activation_balance",
    "KINDS",
]

_CONV = (nn.Conv1d, nn.Conv2d)
_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d, nn.LPPool1d, nn.LPPool2d)
_BN = (nn.BatchNorm1d, nn.BatchNorm2d)


def _act_types() -> tuple[type, ...]:
    from .nets import ACTIVATIONS

    return tuple(
        set(ACTIVATIONS.values()) | {nn.LeakyReLU, nn.GELU, nn.SiLU, nn.Softplus, nn.PReLU}
    )


KINDS = ("conv", "act", "pool", "bn")


def layer_names(model: nn.Module, kind: str = "conv") -> list[str]:
    """Dotted names (``features.conv1``, ...) of the layers of one kind, in forward order.

    ``kind``: ``"conv"`` (Conv1d/Conv2d), ``"act"`` (the activations of ``nets.ACTIVATIONS`` and
    other common ones), ``"pool"`` (max/avg pooling with a fixed window; the global
    ``AdaptiveAvgPool`` of the head is left out), ``"bn"`` (batch norm).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    kind = checks.choice(kind, "kind", KINDS)
    types = {"conv": _CONV, "act": _act_types(), "pool": _POOL, "bn": _BN}[kind]
    return [name for name, m in model.named_modules() if name and isinstance(m, types)]


def conv_act_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """``(conv_name, act_name)`` for every convolution and the activation that follows it.

    The blocks of eqs 31-34: ``CDIFF`` runs from the conv input to the activation input (through
    batch-norm when present), ``ADIFF`` across the activation. Pairs are matched in forward order.
    """
    convs, acts = layer_names(model, "conv"), layer_names(model, "act")
    if len(convs) != len(acts):
        raise ValueError(
            f"model has {len(convs)} convolutions but {len(acts)} activations; pair them by hand"
        )
    return list(zip(convs, acts))


@contextlib.contextmanager
def _probing(probe, device):
    """The scaffolding of a probe's ``run``: the device (given, else the model's), the hooks
    registered for the run when the caller has not entered the probe, eval mode; both restored
    afterwards. Yields the device."""
    device = (
        runtime.resolve_device(device)
        if device is not None
        else next((p.device for p in probe.model.parameters()), torch.device("cpu"))
    )
    temporary = not probe._handles
    if temporary:
        probe.__enter__()
    was_training = probe.model.training
    probe.model.eval()
    try:
        yield device
    finally:
        probe.model.train(was_training)
        if temporary:
            probe.__exit__(None, None, None)


class LayerSpectra:
    """Context manager: stream the spectra of named layers, forward or backward (eqs 15-20, 26).

    Args:
        model: the network (its mode is not changed; call ``model.eval()`` first for a trained
            one -- :meth:`run` does).
        layers: dotted module names (see :func:`layer_names`); each must exist in ``model``.
        ndim: 1 for signals ``(B, C, N)``, 2 for images ``(B, C, H, W)``.
        normalize: normalise each (sample, channel) spectrum to sum 1 first (Algorithm 1, line 4).
        on_zero: for ``normalize=True``, what to do with an all-zero (sample, channel) -- a dead
            ReLU channel -- whose normalised spectrum is 0/0: ``"skip"`` (default) leaves it out of
            the mean, ``"error"`` raises (see ``spectra.SpectrumMean``).
        compute_dtype: FFT precision passed to ``spectra.SpectrumMean`` (``None``: its default,
            which follows the activations' dtype -- float32 for a float32 network -- so normalised
            means sum to 1 within ~1e-7; ``torch.float64`` for exact sums).
        direction: ``"forward"`` (default) records each layer's input ``x`` and output ``y``;
            ``"backward"`` records the gradients flowing back through it, ``dL/dx`` and ``dL/dy``
            (full backward hooks), for every backward pass run while the hooks are on -- a training
            loop's ``loss.backward()`` inside the ``with`` block, or :meth:`run` with a ``loss``.
        fs: sample rate of the signals the layers see, carried by the :class:`Spectrum` values of
            :attr:`spectra` (``None``: cycles/sample of each layer's own grid).

    Forward: hooks are registered on ``__enter__`` (a forward pre-hook for the input -- it runs
    before an in-place layer could overwrite it -- and a forward hook for the output) and removed on
    ``__exit__``. Only the first positional input of a layer is used. Backward: one full backward
    hook per layer, whose ``grad_output[0]`` is ``dL/dy`` and ``grad_input[0]`` ``dL/dx`` (``None``,
    and not recorded, when nothing before the layer needs a gradient; :meth:`run` makes the network
    input require one so every layer gets both). PyTorch refuses full backward hooks on a layer
    whose output a later in-place operation modifies (e.g. ``ReLU(inplace=True)`` after a conv).

    Attributes:
        results: ``{name: (mean_in, mean_out)}``, fftshift-centred float64 CPU tensors (backward:
            of ``dL/dx`` and ``dL/dy``; an entry with nothing recorded is ``None``).
        spectra: the same as :class:`helpers.spectra.Spectrum` values, with their grids.
        accumulators: ``{name: (SpectrumMean, SpectrumMean)}``.
    """

    DIRECTIONS = ("forward", "backward")

    def __init__(
        self,
        model: nn.Module,
        layers: list[str],
        ndim: int = 1,
        normalize: bool = True,
        on_zero: str = "skip",
        compute_dtype: torch.dtype | None = None,
        direction: str = "forward",
        fs: float | None = None,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if isinstance(layers, str) or not isinstance(layers, Iterable):
            raise TypeError(f"layers must be a list of layer names, got {type(layers).__name__}")
        layers = list(layers)
        if not layers:
            raise ValueError("layers must name at least one layer")
        modules = dict(model.named_modules())
        for name in layers:
            if not isinstance(name, str):
                raise TypeError(f"layers must hold layer names (str), got {type(name).__name__}")
            if name not in modules or name == "":
                raise ValueError(
                    f"layers names {name!r}, which is not a layer of the model; "
                    f"e.g. {[n for n in modules if n][:6]}"
                )
        if len(set(layers)) != len(layers):
            raise ValueError(f"layers has duplicate names: {layers}")
        self.direction = checks.choice(direction, "direction", self.DIRECTIONS)
        self.fs = None if fs is None else checks.positive(fs, "fs")
        self.ndim = checks.ndim(ndim)
        self.model, self.layers, self._modules = model, layers, modules
        options = {} if compute_dtype is None else {"compute_dtype": compute_dtype}
        self.accumulators = {
            name: (
                SpectrumMean(ndim, normalize, on_zero, **options),
                SpectrumMean(ndim, normalize, on_zero, **options),
            )
            for name in layers
        }
        self._handles: list = []

    # hooks ------------------------------------------------------------------------------
    def _pre_hook(self, name):
        def hook(module, args):
            if args and isinstance(args[0], torch.Tensor):
                self.accumulators[name][0].update(args[0].detach())

        return hook

    def _hook(self, name):
        def hook(module, args, output):
            if isinstance(output, torch.Tensor):
                self.accumulators[name][1].update(output.detach())

        return hook

    def _backward_hook(self, name):
        def hook(module, grad_input, grad_output):
            for acc, grads in zip(self.accumulators[name], (grad_input, grad_output)):
                if grads and isinstance(grads[0], torch.Tensor):
                    acc.update(grads[0].detach())

        return hook

    def __enter__(self) -> "LayerSpectra":
        if self._handles:
            raise RuntimeError("LayerSpectra is already active (hooks registered)")
        for name in self.layers:
            m = self._modules[name]
            if self.direction == "backward":
                self._handles.append(m.register_full_backward_hook(self._backward_hook(name)))
            else:
                self._handles.append(m.register_forward_pre_hook(self._pre_hook(name)))
                self._handles.append(m.register_forward_hook(self._hook(name)))
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def remove(self) -> None:
        """Remove the hooks (``__exit__`` does it)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    # running ----------------------------------------------------------------------------
    def run(
        self,
        loader,
        device: str | None = None,
        max_batches: int | None = None,
        loss=None,
        as_spectra: bool = False,
    ) -> dict:
        """Feed ``loader``'s inputs (a tensor per batch, or ``(inputs, labels, ...)``) through the
        model in eval mode (its previous mode is restored) and return :attr:`results` (tensors), or
        :attr:`spectra` (:class:`helpers.spectra.Spectrum` values) with ``as_spectra=True``.

        Backward direction: ``loss(outputs, labels)`` (``labels`` is ``None`` for tensor batches)
        gives a scalar whose gradient is taken with respect to the batch's inputs only, so the
        hooks see every layer's ``dL/dx`` and ``dL/dy`` and the parameters' ``.grad`` stay as
        they were. Works inside the ``with`` block; called outside it, it registers the hooks for
        the run only. A smoke run (``runtime.smoke_active()``) reads at most
        ``runtime.SMOKE_BATCHES`` batches of ``runtime.SMOKE_ITEMS`` items.
        """
        if isinstance(loader, (str, bytes)) or not isinstance(loader, Iterable):
            raise TypeError(
                "loader must be an iterable of batches (e.g. a DataLoader), "
                f"got {type(loader).__name__}"
            )
        if max_batches is not None:
            max_batches = checks.integer(max_batches, "max_batches")
        loader = runtime.smoke_batches(loader)  # a smoke run: a few small batches, as in training
        as_spectra = checks.boolean(as_spectra, "as_spectra")
        backward = self.direction == "backward"
        loss = checks.function(
            loss, "loss", "a callable loss(outputs, labels) -> scalar", optional=not backward
        )
        with _probing(self, device) as device, torch.set_grad_enabled(backward):
            for i, batch in enumerate(loader):
                if max_batches is not None and i >= max_batches:
                    break
                pair = isinstance(batch, (tuple, list))
                x = (batch[0] if pair else batch).to(device)
                if not backward:
                    self.model(x)
                    continue
                x = x.detach().requires_grad_(True)
                labels = batch[1] if pair and len(batch) > 1 else None
                labels = labels.to(device) if isinstance(labels, torch.Tensor) else labels
                torch.autograd.grad(loss(self.model(x), labels), x)
        return self.spectra if as_spectra else self.results

    def _means(self, spectrum: bool) -> dict:
        def get(acc):
            if self.direction == "backward" and acc.n_spectra == 0:
                return None
            return acc.spectrum(self.fs) if spectrum else acc.mean

        return {name: (get(a), get(b)) for name, (a, b) in self.accumulators.items()}

    @property
    def results(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{name: (mean_in, mean_out)}``: the fftshift-centred mean spectra so far."""
        return self._means(spectrum=False)

    @property
    def spectra(self) -> dict[str, tuple[Spectrum, Spectrum]]:
        """``{name: (mean_in, mean_out)}`` as :class:`helpers.spectra.Spectrum` values."""
        return self._means(spectrum=True)


def activation_balance(
    model: nn.Module, loader, max_batches: int | None = None, n: int | None = None
) -> dict:
    """Probe every (convolution, activation) block of ``model`` and fit eq 36 (paper 001,
    eqs 31-36).

    Streams ``loader`` through ``model`` (eval mode) with :class:`LayerSpectra` on every conv and
    activation (Algorithm 1: each sample's and channel's energy spectrum normalised to sum 1, then
    averaged), forms ``CDIFF_i`` and ``ADIFF_i`` per block (``layers.layer_differences``,
    eqs 31-32), accumulates them on one grid of ``n`` bins (``layers.acdiff`` / ``layers.aadiff``,
    eqs 33-34; default: the deepest block's grid, via ``layers.to_grid``) and fits
    ``AADIFF ~ -lambda ACDIFF`` (``layers.fit_lambda``, eq 36).

    Returns:
        ``{"results", "spectra", "pairs", "cdiff", "adiff", "acdiff", "aadiff", "fit"}``: the probed
        ``{name: (psi_in, psi_out)}`` (tensors; as ``spectra.Spectrum`` values under
        ``"spectra"``), the ``(conv, act)`` names, the per-block lists, the two
        accumulated curves and the :class:`helpers.layers.LambdaFit`.
    """
    from . import layers

    pairs = conv_act_pairs(model)
    names = [name for pair in pairs for name in pair]
    with LayerSpectra(model, names) as ls:
        results = ls.run(loader, max_batches=max_batches)
        spectra = ls.spectra
    diffs = layers.layer_differences(results, pairs)
    ac = layers.acdiff(diffs["cdiff"], n)
    aa = layers.aadiff(diffs["adiff"], n)
    return {
        "results": results,
        "spectra": spectra,
        "pairs": pairs,
        "cdiff": diffs["cdiff"],
        "adiff": diffs["adiff"],
        "acdiff": ac,
        "aadiff": aa,
        "fit": layers.fit_lambda(ac, aa),
    }


# ------------------------------------------------------------------------------------------
# per-class spectra of a network's stages (Wu et al. 2022, sec 5.1.1, eqs 37-40, Table 4)
# ------------------------------------------------------------------------------------------
def resnet_stages(model: nn.Module) -> dict[str, tuple[str, str]]:
    """The stages of a torchvision ResNet as taps for :class:`ClassSpectra`:
    ``{"input": ("conv1", "input"), "stem": ("maxpool", "output"), "layer1": ("layer1",
    "output"), ..., "layer4": ("layer4", "output")}``. ``input`` is what the network is fed (after
    its input normalisation), ``stem`` the output of conv1-bn1-relu-maxpool (1/4 of the input
    size), ``layer4`` the last feature map before global average pooling (1/32 of the input size).
    """
    names = dict(model.named_modules())
    wanted = ["conv1", "maxpool", "layer1", "layer2", "layer3", "layer4"]
    missing = [n for n in wanted if n not in names]
    if missing:
        raise ValueError(f"model is not a torchvision ResNet: it has no layer(s) {missing}")
    taps = {"input": ("conv1", "input"), "stem": ("maxpool", "output")}
    taps.update({f"layer{i}": (f"layer{i}", "output") for i in range(1, 5)})
    return taps


def pooled_mean(class_means: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """The mean over all samples from per-class means ``(..., K, H, W)`` and the number of
    spectra behind each ``(..., K)``: ``sum_k n_k mean_k / sum_k n_k`` (float64), what one
    ``SpectrumMean`` over every class together would give."""
    m, n = class_means.double(), counts.double()
    return (m * n[..., None, None]).sum(-3) / n.sum(-1)[..., None, None]


class ClassSpectra:
    """Context manager: per-class mean spectra of chosen layers, streamed (Algorithm 1 per class).

    While labelled batches ``(x, y)`` flow through the model (:meth:`run`), each tap's tensor is
    split by class and added to one :class:`helpers.spectra.SpectrumMean` per (tap, class)
    (normalised per sample and channel, dead channels skipped: Algorithm 1, eqs 37-40), and -- with
    ``keep_samples=True`` -- reduced to each sample's channel-summed spectrum
    (:func:`helpers.spectra.sample_spectra`), which resampling needs (bootstrap, random
    partitions). No feature map outlives its batch: what is kept is one ``(H, W)`` spectrum per
    sample and tap, a factor ``C`` (the channel count) smaller than the features.

    Args:
        model: the network (put in eval mode by :meth:`run`, its mode restored afterwards).
        taps: ``{label: (module name, "input" | "output")}``, e.g. :func:`resnet_stages`.
        n_classes: number of classes (labels in ``[0, n_classes)``).
        keep_samples: keep the per-sample spectra (:attr:`samples`).
        compute_dtype: FFT precision (``None``: follow the activations, float32 for a float32
            network).

    Attributes (after :meth:`run`):
        means: ``{label: (n_classes, H, W)}`` float64 class mean spectra, fftshift-centred.
        samples: ``{label: (sums (N, H, W), counts (N,))}`` in the order the samples were seen
            (``sums`` stored in float32).
        labels: int64 ``(N,)`` labels of those samples.
        shapes: ``{label: (C, H, W)}`` of each tap's tensor.
    """

    WHERE = ("input", "output")

    def __init__(
        self,
        model: nn.Module,
        taps: dict,
        n_classes: int,
        keep_samples: bool = True,
        compute_dtype: torch.dtype | None = None,
    ):
        checks.instance(model, "model", nn.Module, "a torch.nn.Module")
        checks.instance(taps, "taps", dict, "a dict {label: (module name, 'input' | 'output')}")
        if not taps:
            raise ValueError("taps must name at least one layer")
        modules = dict(model.named_modules())
        self.taps = {}
        for label, tap in taps.items():
            if not (isinstance(tap, (tuple, list)) and len(tap) == 2):
                raise ValueError(f"taps[{label!r}] must be (module name, 'input' | 'output')")
            name, where = tap
            if name not in modules or name == "":
                raise ValueError(f"taps[{label!r}] names {name!r}, which is not a layer of model")
            self.taps[label] = (name, checks.choice(where, f"taps[{label!r}][1]", self.WHERE))
        self.model, self._modules = model, modules
        self.n_classes = checks.integer(n_classes, "n_classes", minimum=2)
        self.keep_samples = checks.boolean(keep_samples, "keep_samples")
        self.compute_dtype = compute_dtype
        options = {} if compute_dtype is None else {"compute_dtype": compute_dtype}
        self._acc = {
            label: [SpectrumMean(2, True, "skip", **options) for _ in range(self.n_classes)]
            for label in self.taps
        }
        self._sums = {label: [] for label in self.taps}
        self._counts = {label: [] for label in self.taps}
        self._labels: list[torch.Tensor] = []
        self._outputs: list[torch.Tensor] = []
        self._current: torch.Tensor | None = None
        self.shapes: dict[str, tuple[int, ...]] = {}
        self._handles: list = []

    def _record(self, label: str, t) -> None:
        if not isinstance(t, torch.Tensor) or self._current is None:
            return
        t = t.detach()
        self.shapes[label] = tuple(t.shape[1:])
        y = self._current.to(t.device)
        for k in y.unique().tolist():
            self._acc[label][k].update(t[y == k])
        if self.keep_samples:
            sums, counts = sample_spectra(t, 2, self.compute_dtype)
            self._sums[label].append(sums.to(torch.float32))  # half the memory; 1e-7 is plenty
            self._counts[label].append(counts)

    def __enter__(self) -> "ClassSpectra":
        if self._handles:
            raise RuntimeError("ClassSpectra is already active (hooks registered)")
        for label, (name, where) in self.taps.items():
            m = self._modules[name]
            if where == "input":
                hook = m.register_forward_pre_hook(
                    lambda mod, args, label=label: self._record(label, args[0] if args else None)
                )
            else:
                hook = m.register_forward_hook(
                    lambda mod, args, out, label=label: self._record(label, out)
                )
            self._handles.append(hook)
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    @torch.no_grad()
    def run(self, loader, device: str | None = None, outputs: bool = False) -> "ClassSpectra":
        """Feed ``loader``'s ``(inputs, labels, ...)`` batches through the model in eval mode;
        returns ``self``. Called outside the ``with`` block it registers the hooks for the run.
        ``outputs=True`` also keeps the model's outputs, in order (:attr:`outputs`, float32 on
        the CPU): the class scores of the same pass, e.g. for the accuracy on the probed images.
        Every batch is read, also in a smoke run (a class missing from a clamped run would have
        no mean): a smoke run keeps its probes small through its data."""
        checks.iterable(loader, "loader", "an iterable of (inputs, labels) batches")
        outputs = checks.boolean(outputs, "outputs")
        with _probing(self, device) as device:
            try:
                for batch in loader:
                    if not (isinstance(batch, (tuple, list)) and len(batch) >= 2):
                        raise ValueError("loader must yield (inputs, labels) batches")
                    y = torch.as_tensor(batch[1]).reshape(-1).to(torch.long)
                    if bool(((y < 0) | (y >= self.n_classes)).any()):
                        raise ValueError(
                            f"labels must be in [0, {self.n_classes}), got {y.unique()}"
                        )
                    self._current = y
                    self._labels.append(y.cpu())
                    out = self.model(batch[0].to(device))
                    if outputs:
                        self._outputs.append(out.detach().float().cpu())
            finally:
                self._current = None
        return self

    @property
    def outputs(self) -> torch.Tensor:
        """The model's outputs of every :meth:`run` with ``outputs=True``, concatenated."""
        if not self._outputs:
            raise RuntimeError("no outputs kept: call run(loader, outputs=True)")
        return torch.cat(self._outputs)

    def counts(self, label: str) -> torch.Tensor:
        """Spectra averaged per class at ``label`` (``(n_classes,)``, int64: images x live
        channels)."""
        return torch.tensor([a.n_spectra for a in self._acc[label]], dtype=torch.long)

    def mean(self, label: str) -> torch.Tensor:
        """The mean over all classes at ``label``, ``(H, W)``: Algorithm 1 over every probed
        image (:func:`pooled_mean` of the class means and their spectrum counts)."""
        return pooled_mean(self.means[label], self.counts(label))

    def spread(self, n: int = 0, seed: int = 0, kind: str = "bootstrap") -> dict:
        """``{label: (observed, resamples)}``: the spread between the class means of each tap
        (:func:`helpers.spectra.js_spread` of :func:`helpers.spectra.class_mean_spectra` of
        :attr:`samples`) and ``n`` resampled values (:func:`helpers.spectra.resampled_spreads`,
        ``kind`` ``"bootstrap"`` or ``"partition"``; the same draws at every tap, so differences
        between taps, or between two ClassSpectra of the same samples, are paired)."""
        from .spectra import class_mean_spectra, js_spread, resampled_spreads

        y, out = self.labels, {}
        for label, (sums, counts) in self.samples.items():
            observed = js_spread(class_mean_spectra(sums, counts, y, self.n_classes))
            draws = (
                resampled_spreads(sums, counts, y, self.n_classes, n, seed, kind)
                if n
                else torch.empty(0, dtype=torch.float64)
            )
            out[label] = (observed, draws)
        return out

    @property
    def labels(self) -> torch.Tensor:
        return torch.cat(self._labels) if self._labels else torch.empty(0, dtype=torch.long)

    @property
    def means(self) -> dict[str, torch.Tensor]:
        """``{label: (n_classes, H, W)}`` class mean spectra (each class's ``SpectrumMean``)."""
        return {label: torch.stack([a.mean for a in accs]) for label, accs in self._acc.items()}

    @property
    def samples(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{label: (sums, counts)}`` per sample (see :func:`helpers.spectra.sample_spectra`)."""
        if not self.keep_samples:
            raise RuntimeError("ClassSpectra(keep_samples=False) keeps no per-sample spectra")
        return {
            label: (torch.cat(self._sums[label]), torch.cat(self._counts[label]))
            for label in self.taps
        }


def feature_stages(model: nn.Module) -> dict[str, tuple[str, str]]:
    """Taps for :class:`ClassSpectra` at the stages of one of chapter 6's CNNs, input first and
    the last feature map before the classifier last.

    * a torchvision ResNet or ResNeXt: :func:`resnet_stages` (``input``, ``stem``,
      ``layer1``-``layer4``);
    * ``nets.AlexNetBN``: ``input``, ``relu1``-``relu5`` (the outputs of its five conv-bn-ReLU
      blocks, before any pooling) and ``pool5``;
    * a torchvision VGG: ``input`` and the outputs ``pool1``-``pool5`` of its five max-poolings.

    Any other model: ``ValueError``.
    """
    checks.instance(model, "model", nn.Module, "a torch.nn.Module")
    names = dict(model.named_modules())
    if all(n in names for n in ("conv1", "maxpool", "layer4")):
        return resnet_stages(model)
    if "features.relu1" in names and "features.pool5" in names:
        taps = {"input": ("features.conv1", "input")}
        taps.update({f"relu{i}": (f"features.relu{i}", "output") for i in range(1, 6)})
        taps["pool5"] = ("features.pool5", "output")
        return taps
    feats = getattr(model, "features", None)
    if isinstance(feats, nn.Sequential) and "classifier" in names:
        pools = [f"features.{i}" for i, m in enumerate(feats) if isinstance(m, nn.MaxPool2d)]
        if pools and isinstance(feats[0], nn.Conv2d):
            taps = {"input": ("features.0", "input")}
            taps.update({f"pool{i}": (name, "output") for i, name in enumerate(pools, 1)})
            return taps
    raise ValueError(
        f"feature_stages knows torchvision ResNets/ResNeXts, VGGs and nets.AlexNetBN; "
        f"got a {type(model).__name__}"
    )


def output_stage(shapes: dict, min_side: int = 6) -> str:
    """The deepest stage (the last key of ``shapes``, ``{label: (C, H, W)}`` in network order,
    after the first) whose feature map is at least ``min_side`` bins a side: where chapter 6
    fits the power law of the "output feature". 6 is the side of AlexNet's last map at 224 px and
    the least that leaves three annuli besides DC for the fit."""
    checks.instance(shapes, "shapes", dict, "a dict {stage: (C, H, W)} in network order")
    min_side = checks.integer(min_side, "min_side", 2)
    deep = [k for k, shape in list(shapes.items())[1:] if min(shape[-2:]) >= min_side]
    if not deep:
        raise ValueError(f"no stage after the first has a map of at least {min_side} x {min_side}")
    return deep[-1]


def first_conv(model: nn.Module) -> str:
    """The name of the first ``nn.Conv2d`` of ``model`` in module order (its first layer)."""
    checks.instance(model, "model", nn.Module, "a torch.nn.Module")
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            return name
    raise ValueError(f"{type(model).__name__} has no nn.Conv2d")


def kernel_spectrum(weight, size: int = 32) -> torch.Tensor:
    """The mean normalised energy spectrum of a conv layer's kernels, their "carriers"
    (chapter 2): each ``(out, in)`` kernel of ``weight`` ``(O, I, k, k)`` zero-padded to ``size x
    size``, its energy spectrum normalised to sum 1, averaged over all ``O x I`` kernels;
    float64 ``(size, size)``, fftshift-centred (DC at ``size // 2``). All-zero kernels are left
    out."""
    w = checks.tensor(weight, "weight", allow_complex=False, min_ndim=4)
    if w.ndim != 4:
        raise ValueError(f"weight must be (out, in, k, k), got shape {tuple(w.shape)}")
    size = checks.integer(size, "size", max(w.shape[-2:]))
    w = w.detach().to("cpu", torch.float64).reshape(-1, *w.shape[-2:])
    w = w[w.abs().sum(dim=(-2, -1)) > 0]
    if len(w) == 0:
        raise ValueError("weight has no non-zero kernel")
    padded = torch.zeros(len(w), size, size, dtype=torch.float64)
    padded[:, : w.shape[-2], : w.shape[-1]] = w
    from .spectra import energy_spectrum

    return energy_spectrum(padded, ndim=2, normalize=True).mean(0)


class SpectrumTrajectory:
    """An ``on_epoch`` recorder for ``helpers.train.fit``: the spectra of a fixed probe set at
    every epoch (fig 21 of Wu et al. 2022), and of the first layer's kernels.

    At each call ``(epoch, model, row)`` -- epoch 0 is the untrained network -- the probe images
    go through the model once (a :class:`ClassSpectra` over ``taps``): per stage, the class mean
    spectra are kept (float32; the ``input`` stage once, it does not change), with the counts of
    spectra behind them, the probe accuracy of the same pass, and :func:`kernel_spectrum` of the
    first conv layer (``kernel``: its name, default :func:`first_conv`). Nothing else of the
    forward pass is kept. ``helpers.train.train_or_load(config, on_epoch=recorder)`` saves
    :meth:`state_dict` with the network under :attr:`key` and restores it when the network is
    loaded, so a cached network comes with its trajectory.

    Args:
        images, labels: the probe set (inputs as the network takes them, labels ``(N,)``).
        taps: ``{stage: (module name, "input" | "output")}`` (e.g. :func:`feature_stages`).
        n_classes: number of classes.
        kernel: name of the layer whose kernels are recorded (``None``: the model's first conv).
        kernel_size: grid of :func:`kernel_spectrum`.
        batch_size: probe batch size.
    """

    VERSION = 1

    def __init__(
        self,
        images,
        labels,
        taps: dict,
        n_classes: int,
        kernel: str | None = None,
        kernel_size: int = 32,
        batch_size: int = 100,
    ):
        self.images = checks.tensor(images, "images", allow_complex=False, min_ndim=4)
        self.labels = torch.as_tensor(labels).reshape(-1).to(torch.long)
        if len(self.labels) != len(self.images):
            raise ValueError(
                f"images and labels must pair up, got {len(self.images)} and {len(self.labels)}"
            )
        checks.instance(taps, "taps", dict, "a dict {stage: (module name, 'input' | 'output')}")
        if not taps:
            raise ValueError("taps must name at least one stage")
        self.taps = {str(k): (str(v[0]), str(v[1])) for k, v in taps.items()}
        self.n_classes = checks.integer(n_classes, "n_classes", 2)
        missing = sorted(set(range(self.n_classes)) - set(self.labels.tolist()))
        if missing:
            raise ValueError(
                f"labels: the probe set must hold every class, it has none of {missing}"
            )
        if kernel is not None:
            checks.instance(kernel, "kernel", str, "a module name")
        self.kernel = kernel
        self.kernel_size = checks.integer(kernel_size, "kernel_size", 4)
        self.batch_size = checks.integer(batch_size, "batch_size", 1)
        self.reset()

    def reset(self) -> None:
        """Forget what was recorded."""
        self.epochs: list[int] = []
        self.accuracy: list[float] = []
        self.rows: list[dict] = []
        self.class_means: dict[str, list[torch.Tensor]] = {k: [] for k in self.taps}
        self.class_counts: dict[str, list[torch.Tensor]] = {k: [] for k in self.taps}
        self.kernels: list[torch.Tensor] = []
        self.shapes: dict = {}

    @property
    def key(self) -> str:
        """sha256 of everything that determines the record but the network: the probe images and
        labels, taps, kernel layer and grid, and :attr:`VERSION`."""
        import hashlib
        import json

        h = hashlib.sha256()
        h.update(self.images.detach().cpu().contiguous().numpy().tobytes())
        h.update(self.labels.cpu().numpy().tobytes())
        meta = [self.taps, self.n_classes, self.kernel, self.kernel_size, self.VERSION]
        h.update(json.dumps(meta, sort_keys=True).encode())
        return h.hexdigest()

    def __call__(self, epoch: int, model: nn.Module, row: dict | None) -> None:
        epoch = checks.integer(epoch, "epoch", 0)
        if self.epochs and epoch <= self.epochs[-1]:
            raise ValueError(f"epoch {epoch} recorded after epoch {self.epochs[-1]}")
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        batches = [
            (self.images[i : i + self.batch_size], self.labels[i : i + self.batch_size])
            for i in range(0, len(self.labels), self.batch_size)
        ]
        cs = ClassSpectra(model, self.taps, self.n_classes, keep_samples=False)
        cs.run(batches, device=str(device), outputs=True)
        self.shapes = dict(cs.shapes)
        means = cs.means
        for label in self.taps:
            if label == "input" and self.class_means[label]:
                continue
            self.class_means[label].append(means[label].to(torch.float32))
            self.class_counts[label].append(cs.counts(label))
        seen = cs.labels
        self.accuracy.append(float((cs.outputs.argmax(1) == seen).double().mean()))
        layer = dict(model.named_modules())[self.kernel or first_conv(model)]
        self.kernels.append(kernel_spectrum(layer.weight, self.kernel_size))
        self.epochs.append(epoch)
        self.rows.append(dict(row) if row else {})

    # ------------------------------------------------------------------ results
    def _stage(self, stage: str) -> str:
        checks.choice(stage, "stage", self.taps)
        if not self.class_means[stage]:
            raise RuntimeError("nothing recorded yet: pass the recorder to fit(on_epoch=...)")
        return stage

    def stage_means(self, stage: str) -> torch.Tensor:
        """``(epochs, H, W)`` float64: Algorithm 1 over all probe images at each epoch (the class
        means weighted by their counts); the ``input`` stage has one epoch."""
        stage = self._stage(stage)
        return pooled_mean(
            torch.stack(self.class_means[stage]), torch.stack(self.class_counts[stage])
        )

    def fit(self, stage: str, band=None, binning: str = "mean"):
        """``spectra.power_law_fit`` of :meth:`stage_means` at every epoch: ``mu``, ``nu`` of
        shape ``(epochs,)``. ``band``: default the whole grid but DC, ``(1 / side, 0.5)``, since
        the feature maps are small (a 7 x 7 map has three annuli besides DC)."""
        from .spectra import power_law_fit

        means = self.stage_means(stage)
        if band is None:
            band = (1.0 / min(means.shape[-2:]), 0.5)
        return power_law_fit(means, band=band, binning=binning)

    @property
    def kernel_spectra(self) -> torch.Tensor:
        """``(epochs, kernel_size, kernel_size)`` float64 :func:`kernel_spectrum` per epoch."""
        if not self.kernels:
            raise RuntimeError("nothing recorded yet: pass the recorder to fit(on_epoch=...)")
        return torch.stack(self.kernels)

    def state_dict(self) -> dict:
        """What :meth:`load_state_dict` restores (tensors and plain values only)."""
        return {
            "key": self.key,
            "epochs": list(self.epochs),
            "accuracy": list(self.accuracy),
            "rows": [dict(r) for r in self.rows],
            "class_means": {k: list(v) for k, v in self.class_means.items()},
            "class_counts": {k: list(v) for k, v in self.class_counts.items()},
            "kernels": list(self.kernels),
            "shapes": {k: list(v) for k, v in self.shapes.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`; ``ValueError`` when it was recorded with another probe
        set, taps or kernel (its key differs)."""
        checks.instance(state, "state", dict, "a SpectrumTrajectory.state_dict()")
        if state.get("key") != self.key:
            raise ValueError("state was recorded with another probe set, taps or kernel")
        self.epochs = list(state["epochs"])
        self.accuracy = list(state["accuracy"])
        self.rows = [dict(r) for r in state["rows"]]
        self.class_means = {k: list(v) for k, v in state["class_means"].items()}
        self.class_counts = {k: list(v) for k, v in state["class_counts"].items()}
        self.kernels = list(state["kernels"])
        self.shapes = {k: tuple(v) for k, v in state["shapes"].items()}
