"""A global PyTorch forecaster: N-BEATS-style residual MLP blocks with a multi-quantile head.

One model learns from windows of every series at once. Each window is scaled by the mean
absolute value of its observed input, so series of any size share the weights; short series
are left-padded and masked. Training minimises the pinball loss over a grid of quantile
levels (or, with ``distribution="negbin"``, the negative binomial likelihood for counts) and
stops early on a holdout made of the last ``horizon`` points of every series. The holdout
forecasts then calibrate the quantiles (:mod:`forecasting.calibrate`). Several members with
different seeds and input lengths form an ensemble; their quantiles are combined by median.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from forecasting.calibrate import QuantileShift, fit_shift
from forecasting.data import Panel
from forecasting.models.base import Array, Forecaster
from planner.model.errors import InputIssue, InvalidInputError

GRID = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)


@dataclass
class NeuralConfig:
    """Hyper-parameters of :class:`NeuralForecaster` (saved with every checkpoint)."""

    horizon: int
    season: int = 1
    input_sizes: tuple[int, ...] = ()
    hidden: int = 256
    blocks: int = 3
    layers: int = 2
    dropout: float = 0.0
    distribution: str = "quantile"
    quantile_grid: tuple[float, ...] = GRID
    ensemble: int = 3
    max_epochs: int = 60
    patience: int = 8
    batch_size: int = 512
    windows_per_series: int = 16
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    calibrate: bool = True
    transform: str = "auto"
    """``"log"`` learns on ``log(y / scale)`` (relative errors), ``"none"`` on ``y / scale``;
    ``"auto"`` takes the log when every value is positive and the head is quantile."""
    refit_epochs: int = 3
    recent_windows: float = 0.0
    """Half of each epoch's windows end within the last ``recent_windows * horizon`` points."""
    seed: int = 0
    time_budget_s: float | None = None
    threads: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def resolved_input_sizes(self) -> tuple[int, ...]:
        if self.input_sizes:
            return self.input_sizes
        base = max(2 * self.horizon, 2 * self.season, 8)
        options = (base, max(8, int(1.5 * base)), max(8, base // 2 + self.season))
        return tuple(options[k % len(options)] for k in range(self.ensemble))


class _Block(nn.Module):
    def __init__(
        self, inputs: int, hidden: int, layers: int, backcast: int, forecast: int, dropout: float
    ) -> None:
        super().__init__()
        stack: list[nn.Module] = []
        width = inputs
        for _ in range(layers):
            stack += [nn.Linear(width, hidden), nn.ReLU()]
            if dropout:
                stack.append(nn.Dropout(dropout))
            width = hidden
        self.body = nn.Sequential(*stack)
        self.backcast = nn.Linear(hidden, backcast)
        self.forecast = nn.Linear(hidden, forecast)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.backcast(h), self.forecast(h)


class _Network(nn.Module):
    """Residual stack: each block sees the input minus earlier backcasts, forecasts add up."""

    def __init__(self, input_size: int, horizon: int, outputs: int, cfg: NeuralConfig) -> None:
        super().__init__()
        self.input_size, self.horizon, self.outputs = input_size, horizon, outputs
        self.blocks = nn.ModuleList(
            _Block(
                2 * input_size, cfg.hidden, cfg.layers, input_size, horizon * outputs, cfg.dropout
            )
            for _ in range(cfg.blocks)
        )

    def forward(self, values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        residual = values
        total = torch.zeros(values.shape[0], self.horizon * self.outputs, device=values.device)
        for block in self.blocks:
            back, fore = block(torch.cat([residual, mask], dim=1))
            residual = (residual - back) * mask
            total = total + fore
        return total.view(-1, self.horizon, self.outputs)


def _pinball(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, levels: torch.Tensor
) -> torch.Tensor:
    diff = target.unsqueeze(-1) - pred
    loss = torch.maximum(levels * diff, (levels - 1) * diff)
    weights = mask.unsqueeze(-1)
    return (loss * weights).sum() / (weights.sum() * len(levels)).clamp(min=1)


def _negbin_nll(
    out: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    mu = nn.functional.softplus(out[..., 0]) * scale[:, None] + 1e-6
    alpha = nn.functional.softplus(out[..., 1]) + 1e-4
    r = 1.0 / alpha
    y = target * scale[:, None]
    log_p = (
        torch.lgamma(y + r)
        - torch.lgamma(r)
        - torch.lgamma(y + 1)
        + r * torch.log(r / (r + mu))
        + y * torch.log(mu / (r + mu))
    )
    return -(log_p * mask).sum() / mask.sum().clamp(min=1)


def _negbin_quantiles(mu: Array, alpha: Array, levels: tuple[float, ...]) -> Array:
    """Quantiles of NB(mean ``mu``, dispersion ``alpha``) by summing the pmf."""
    r = 1.0 / alpha
    top = int(np.ceil(np.max(mu + 12 * np.sqrt(mu + alpha * mu**2)))) + 2
    k = torch.arange(top, dtype=torch.float64)
    mu_t = torch.as_tensor(mu, dtype=torch.float64).unsqueeze(-1)
    r_t = torch.as_tensor(r, dtype=torch.float64).unsqueeze(-1)
    log_pmf = (
        torch.lgamma(k + r_t)
        - torch.lgamma(r_t)
        - torch.lgamma(k + 1)
        + r_t * torch.log(r_t / (r_t + mu_t))
        + k * torch.log(mu_t / (r_t + mu_t))
    )
    cdf = torch.cumsum(torch.exp(log_pmf), dim=-1).numpy()
    out = np.stack([(cdf < q).sum(axis=-1) for q in levels], axis=-1).astype(np.float64)
    return out


@dataclass
class _Windows:
    values: Array
    mask: Array
    target: Array
    target_mask: Array
    scale: Array


def _window(
    series: Array, cut: int, input_size: int, horizon: int
) -> tuple[Array, Array, Array, Array]:
    """Raw input and target of one window ending its input at ``cut`` (left-padded, masked)."""
    start = max(0, cut - input_size)
    past = series[start:cut]
    values = np.zeros(input_size)
    mask = np.zeros(input_size)
    if len(past):
        values[-len(past) :] = past
        mask[-len(past) :] = 1.0
    future = series[cut : cut + horizon]
    target = np.zeros(horizon)
    target_mask = np.zeros(horizon)
    target[: len(future)] = future
    target_mask[: len(future)] = 1.0
    return values, mask, target, target_mask


def _normalise(
    values: Array, mask: Array, target: Array, target_mask: Array, log: bool
) -> _Windows:
    """Scale each window by the mean absolute value of its observed input; with ``log``, work
    on ``log(y / scale)`` (for positive series: errors become relative)."""
    counted = mask.sum(axis=1)
    scale = (np.abs(values) * mask).sum(axis=1) / np.maximum(counted, 1)
    scale = np.where(scale > 0, scale, 1.0)
    if log:
        tiny = 1e-6 * scale[:, None]
        v = np.log(np.maximum(values, tiny) / scale[:, None]) * mask
        t = np.log(np.maximum(target, tiny) / scale[:, None]) * target_mask
        return _Windows(v, mask, t, target_mask, scale)
    return _Windows(values / scale[:, None], mask, target / scale[:, None], target_mask, scale)


def _stack(rows: list[tuple[Array, Array, Array, Array]], log: bool) -> _Windows:
    v, m, t, tm = (np.stack(x) for x in zip(*rows, strict=True))
    return _normalise(v, m, t, tm, log)


class _Sampler:
    """All training windows of a set of series, cut by fancy indexing (no Python loop)."""

    def __init__(self, series: list[Array], input_size: int, horizon: int) -> None:
        self.input_size, self.horizon = input_size, horizon
        width = input_size + max((len(v) for v in series), default=0) + horizon
        self.values = np.zeros((len(series), width))
        self.mask = np.zeros((len(series), width))
        for i, v in enumerate(series):
            self.values[i, input_size : input_size + len(v)] = v
            self.mask[i, input_size : input_size + len(v)] = 1.0
        self.lengths = np.array([len(v) for v in series])

    def cuts(
        self, rng: np.random.Generator, per_series: int, recent: int = 0
    ) -> tuple[Array, Array]:
        """Random cut points (end of input) per series, from 1 to length-1; with ``recent``,
        half of them among the last ``recent`` cuts."""
        rows, cuts = [], []
        for i, n in enumerate(self.lengths):
            if n < 2:
                continue
            k = min(per_series, n - 1)
            picked = rng.choice(np.arange(1, n), size=k, replace=False)
            if recent:
                lo = max(1, n - recent)
                picked[: k // 2] = rng.integers(lo, n, size=k // 2)
            rows.append(np.full(k, i))
            cuts.append(picked)
        return np.concatenate(rows), np.concatenate(cuts)

    def windows(self, rows: Array, cuts: Array, log: bool) -> _Windows:
        offsets = np.arange(self.input_size)
        idx = cuts[:, None] + offsets[None, :]  # input occupies padded [cut, cut + L)
        values = self.values[rows[:, None], idx]
        mask = self.mask[rows[:, None], idx]
        tidx = cuts[:, None] + self.input_size + np.arange(self.horizon)[None, :]
        target = self.values[rows[:, None], tidx]
        target_mask = self.mask[rows[:, None], tidx]
        return _normalise(values, mask, target, target_mask, log)


class NeuralForecaster(Forecaster):
    """Global N-BEATS-style forecaster with calibrated quantiles (see the module docstring).

    Parameters
    ----------
    horizon
        Longest horizon the model learns to forecast; ``predict`` accepts up to this.
        ``forecast(history, h)`` sets it to ``h`` when not given.
    season
        Season length (12 for monthly data), used for the default input sizes.
    distribution
        ``"quantile"`` (pinball loss on a grid of levels) or ``"negbin"`` (count head for
        intermittent demand).
    ensemble
        Number of members (different seeds and input lengths).
    seed
        Seeds every member; the same seed gives the same forecast.
    time_budget_s
        Optional cap on training time across all members.
    **options
        Any other :class:`NeuralConfig` field.
    """

    name = "neural"
    min_length = 3

    def __init__(
        self,
        horizon: int | None = None,
        season: int = 1,
        distribution: str = "quantile",
        ensemble: int = 3,
        seed: int = 0,
        time_budget_s: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(season)
        if distribution not in ("quantile", "negbin"):
            raise InvalidInputError([InputIssue("distribution", "use 'quantile' or 'negbin'")])
        self.config = NeuralConfig(
            horizon=horizon or 0,
            season=season,
            distribution=distribution,
            ensemble=ensemble,
            seed=seed,
            time_budget_s=time_budget_s,
            **options,
        )
        self.members: list[_Network] = []
        self.shift: QuantileShift | None = None
        self._log = False
        self.history: dict[str, Any] = {}

    # -- the Forecaster interface ---------------------------------------------------------------

    def forecast(self, history: Any, horizon: int, quantiles: Any = (0.1, 0.5, 0.9)) -> Any:
        if not self.config.horizon:
            self.config.horizon = horizon
        return super().forecast(history, horizon, quantiles)

    def _fit(self, panel: Panel) -> None:
        cfg = self.config
        if cfg.horizon < 1:
            raise InvalidInputError(
                [InputIssue("horizon", "set the horizon the model learns (e.g. horizon=18)")]
            )
        positive = all(len(v) and v.min() > 0 for v in panel.values)
        self._log = cfg.transform == "log" or (
            cfg.transform == "auto" and positive and cfg.distribution == "quantile"
        )
        if self._log and cfg.distribution == "negbin":
            raise InvalidInputError(
                [InputIssue("transform", "the count head needs transform='none'")]
            )
        threads = cfg.threads or torch.get_num_threads()
        torch.set_num_threads(threads)
        started = time.perf_counter()
        self.members, self.history = [], {"members": []}
        holdout_preds = []
        for k, input_size in enumerate(cfg.resolved_input_sizes()[: cfg.ensemble]):
            budget = None
            if cfg.time_budget_s is not None:
                budget = max(
                    1.0, (cfg.time_budget_s - (time.perf_counter() - started)) / (cfg.ensemble - k)
                )
            net, log, holdout = self._train_member(panel, input_size, cfg.seed + 1000 * k, budget)
            self.members.append(net)
            self.history["members"].append(log)
            holdout_preds.append(holdout)
        self.history["train_s"] = round(time.perf_counter() - started, 2)
        self.shift = None
        held = [h for h in holdout_preds if h is not None]
        if cfg.calibrate and held:
            pred = np.median(np.stack([h[0] for h in held]), axis=0)
            _, actual, mask, scales = held[0]
            levels = self._levels()
            self.shift = fit_shift(actual, np.sort(pred, axis=-1), scales, levels, mask)

    def _levels(self) -> tuple[float, ...]:
        return self.config.quantile_grid

    def _predict(self, horizon: int, quantiles: tuple[float, ...]) -> Array:
        cfg = self.config
        if horizon > cfg.horizon:
            raise InvalidInputError(
                [
                    InputIssue(
                        "horizon",
                        f"the model was trained for {cfg.horizon} steps; "
                        f"refit with horizon={horizon}",
                    )
                ]
            )
        preds, scales = [], None
        for net in self.members:
            windows = _stack(
                [_window(v, len(v), net.input_size, cfg.horizon) for v in self.panel.values],
                self._log,
            )
            preds.append(self._run(net, windows))
            scales = windows.scale
        assert scales is not None
        grid = np.sort(np.median(np.stack(preds), axis=0), axis=-1)
        if self.shift is not None:
            grid = self.shift.apply(grid, np.ones_like(scales))
        grid = (np.exp(grid) if self._log else grid) * scales[:, None, None]
        levels = np.asarray(self._levels())
        out = np.empty((grid.shape[0], horizon, len(quantiles)))
        for k, q in enumerate(quantiles):
            out[:, :, k] = _interpolate(grid[:, :horizon, :], levels, q)
        return out

    # -- training ---------------------------------------------------------------------------

    def _run(self, net: _Network, w: _Windows) -> Array:
        """Normalised quantiles ``[series, horizon, level]`` of a window batch."""
        net.eval()
        with torch.no_grad():
            out = net(
                torch.as_tensor(w.values, dtype=torch.float32),
                torch.as_tensor(w.mask, dtype=torch.float32),
            )
        out_np = out.numpy().astype(np.float64)
        if self.config.distribution == "negbin":
            mu = np.log1p(np.exp(out_np[..., 0])) * w.scale[:, None] + 1e-6
            alpha = np.log1p(np.exp(out_np[..., 1])) + 1e-4
            quantiles: Array = _negbin_quantiles(mu, alpha, self._levels()) / w.scale[:, None, None]
            return quantiles
        normalised: Array = out_np
        return normalised

    def _train_member(
        self, panel: Panel, input_size: int, seed: int, budget: float | None
    ) -> tuple[_Network, dict[str, Any], tuple[Array, Array, Array, Array] | None]:
        cfg = self.config
        rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        horizon = cfg.horizon
        train_series, holdout_rows = [], []
        for v in panel.values:
            if len(v) > horizon + 2:
                train_series.append(v[:-horizon])
                holdout_rows.append(_window(v, len(v) - horizon, input_size, horizon))
            else:
                train_series.append(v)
        holdout = _stack(holdout_rows, self._log) if holdout_rows else None
        outputs = 2 if cfg.distribution == "negbin" else len(cfg.quantile_grid)
        net = _Network(input_size, horizon, outputs, cfg)
        optimiser = torch.optim.Adam(
            net.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay
        )
        levels = torch.as_tensor(cfg.quantile_grid, dtype=torch.float32)
        best_loss, best_state, stale, epochs = math.inf, copy.deepcopy(net.state_dict()), 0, 0
        started = time.perf_counter()
        sampler = _Sampler(train_series, input_size, horizon)
        log: dict[str, Any] = {"input_size": input_size, "seed": seed, "val_loss": []}
        loss = torch.zeros(())
        for epoch in range(cfg.max_epochs):
            rows, cuts = sampler.cuts(
                rng, cfg.windows_per_series, recent=int(cfg.recent_windows * horizon)
            )
            batch = sampler.windows(rows, cuts, self._log)
            order = rng.permutation(len(batch.scale))
            net.train()
            for first in range(0, len(order), cfg.batch_size):
                idx = order[first : first + cfg.batch_size]
                loss = self._loss(net, batch, idx, levels)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                optimiser.step()
            epochs = epoch + 1
            val = (
                self._validation_loss(net, holdout, levels) if holdout is not None else float(loss)
            )
            log["val_loss"].append(round(val, 5))
            if val < best_loss - 1e-5:
                best_loss, best_state, stale = val, copy.deepcopy(net.state_dict()), 0
            else:
                stale += 1
                if stale >= cfg.patience:
                    break
            if budget is not None and time.perf_counter() - started > budget:
                break
        net.load_state_dict(best_state)
        log.update(
            epochs=epochs,
            best_val=round(best_loss, 5),
            seconds=round(time.perf_counter() - started, 2),
        )
        held = None
        if holdout is not None:
            pred = self._run(net, holdout)
            held = (pred, holdout.target, holdout.target_mask, np.ones(len(holdout.scale)))
            if cfg.refit_epochs:
                # the holdout was only a yardstick: learn from the latest data too, gently
                self._refit(net, optimiser, panel, input_size, rng, levels)
        return net, log, held

    def _refit(
        self,
        net: _Network,
        optimiser: torch.optim.Optimizer,
        panel: Panel,
        input_size: int,
        rng: np.random.Generator,
        levels: torch.Tensor,
    ) -> None:
        cfg = self.config
        full = _Sampler(list(panel.values), input_size, cfg.horizon)
        for group in optimiser.param_groups:
            group["lr"] = cfg.learning_rate * 0.3
        net.train()
        recent = int(cfg.recent_windows * cfg.horizon)
        for _ in range(cfg.refit_epochs):
            rows, cuts = full.cuts(rng, cfg.windows_per_series, recent=recent)
            batch = full.windows(rows, cuts, self._log)
            order = rng.permutation(len(batch.scale))
            for first in range(0, len(order), cfg.batch_size):
                idx = order[first : first + cfg.batch_size]
                loss = self._loss(net, batch, idx, levels)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                optimiser.step()

    def _loss(
        self, net: _Network, w: _Windows, idx: npt.NDArray[np.int64], levels: torch.Tensor
    ) -> torch.Tensor:
        values = torch.as_tensor(w.values[idx], dtype=torch.float32)
        mask = torch.as_tensor(w.mask[idx], dtype=torch.float32)
        target = torch.as_tensor(w.target[idx], dtype=torch.float32)
        target_mask = torch.as_tensor(w.target_mask[idx], dtype=torch.float32)
        out = net(values, mask)
        if self.config.distribution == "negbin":
            return _negbin_nll(
                out, target, target_mask, torch.as_tensor(w.scale[idx], dtype=torch.float32)
            )
        return _pinball(out, target, target_mask, levels)

    def _validation_loss(self, net: _Network, w: _Windows, levels: torch.Tensor) -> float:
        net.eval()
        with torch.no_grad():
            return float(self._loss(net, w, np.arange(len(w.scale), dtype=np.int64), levels))

    # -- checkpoints --------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Save weights, configuration and calibration to one file."""
        path = Path(path)
        torch.save(
            {
                "config": asdict(self.config),
                "members": [net.state_dict() for net in self.members],
                "input_sizes": [net.input_size for net in self.members],
                "shift": None if self.shift is None else asdict(self.shift),
                "log": self._log,
                "history": json.loads(json.dumps(self.history, default=str)),
            },
            path,
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Load a checkpoint; call ``fit``-free ``predict`` after setting the history with
        :meth:`with_history`."""
        state = torch.load(Path(path), weights_only=False)
        cfg = state["config"]
        model = cls(**{k: v for k, v in cfg.items() if k not in ("extra",)})
        outputs = 2 if model.config.distribution == "negbin" else len(model.config.quantile_grid)
        model.members = []
        for size, weights in zip(state["input_sizes"], state["members"], strict=True):
            net = _Network(size, model.config.horizon, outputs, model.config)
            net.load_state_dict(weights)
            model.members.append(net)
        if state["shift"] is not None:
            shift = state["shift"]
            model.shift = QuantileShift(tuple(shift["quantiles"]), tuple(shift["shifts"]))
        model.history = state["history"]
        model._log = bool(state.get("log", False))
        return model

    def with_history(self, history: Any) -> Self:
        """Attach recent history to a loaded model without training (to predict from it)."""
        from forecasting.data import validate_history

        self._panel = Panel.from_frame(validate_history(history, self.min_length))
        return self


def _interpolate(grid: Array, levels: Array, q: float) -> Array:
    """Quantile ``q`` from a grid of levels, linear between neighbours, clamped at the ends."""
    if q <= levels[0]:
        return grid[..., 0]
    if q >= levels[-1]:
        return grid[..., -1]
    hi = int(np.searchsorted(levels, q))
    lo = hi - 1
    w = (q - levels[lo]) / (levels[hi] - levels[lo])
    mixed: Array = (1 - w) * grid[..., lo] + w * grid[..., hi]
    return mixed
