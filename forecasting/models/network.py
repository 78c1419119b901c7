"""The network of the neural forecaster: N-BEATS-style residual MLP blocks, and its losses."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from torch.distributions import NegativeBinomial

from forecasting.models.base import Array

if TYPE_CHECKING:
    from forecasting.models.neural import NeuralConfig


class Block(nn.Module):
    """Fully connected layers producing a backcast of the input and a forecast."""

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


class Network(nn.Module):
    """Residual stack: each block sees the input minus earlier backcasts, forecasts add up."""

    def __init__(self, input_size: int, horizon: int, outputs: int, cfg: NeuralConfig) -> None:
        super().__init__()
        self.input_size, self.horizon, self.outputs = input_size, horizon, outputs
        self.blocks = nn.ModuleList(
            Block(
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


def pinball_loss(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, levels: torch.Tensor
) -> torch.Tensor:
    diff = target.unsqueeze(-1) - pred
    loss = torch.maximum(levels * diff, (levels - 1) * diff)
    weights = mask.unsqueeze(-1)
    return (loss * weights).sum() / (weights.sum() * len(levels)).clamp(min=1)


def negbin_nll(
    out: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    mu = nn.functional.softplus(out[..., 0]) * scale[:, None] + 1e-6
    alpha = nn.functional.softplus(out[..., 1]) + 1e-4
    log_p = _negbin_log_prob(mu, 1.0 / alpha, target * scale[:, None])
    return -(log_p * mask).sum() / mask.sum().clamp(min=1)


def _negbin_log_prob(mu: torch.Tensor, r: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Log-probability of ``value`` under NB with mean ``mu`` and ``r`` failures (dispersion
    ``1/r``); values need not be whole numbers (scaled targets), so the support is not
    validated."""
    nb = NegativeBinomial(total_count=r, logits=torch.log(mu) - torch.log(r), validate_args=False)
    log_p: torch.Tensor = nb.log_prob(value)  # type: ignore[no-untyped-call]
    return log_p


def negbin_quantiles(mu: Array, alpha: Array, levels: tuple[float, ...]) -> Array:
    """Quantiles of NB(mean ``mu``, dispersion ``alpha``) by summing the pmf."""
    r = 1.0 / alpha
    top = int(np.ceil(np.max(mu + 12 * np.sqrt(mu + alpha * mu**2)))) + 2
    k = torch.arange(top, dtype=torch.float64)
    mu_t = torch.as_tensor(mu, dtype=torch.float64).unsqueeze(-1)
    r_t = torch.as_tensor(r, dtype=torch.float64).unsqueeze(-1)
    log_pmf = _negbin_log_prob(mu_t, r_t, k)
    cdf = torch.cumsum(torch.exp(log_pmf), dim=-1).numpy()
    out = np.stack([(cdf < q).sum(axis=-1) for q in levels], axis=-1).astype(np.float64)
    return out
