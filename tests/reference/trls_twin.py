#!/usr/bin/python3
"""TRLS "Python twin": our own PyTorch implementation of the TRLS network (Xie et al.,
2024; no reference code was published) written from MODELS.md section 3, with the same
parameter names, construction order and computation as the C++ port
(include/tfmed/models/trls.h). Used by tests/golden/gen_trls_golden.py (parity for fixed
weights) and by tests/reference/bench_trls_twin.py (the speed baseline of `tfmed bench trls`).

Readings of what the paper leaves open (MODELS.md 3.2), each a knob of TrlsConfig:
- front end: torch.stft (Hann periodic, centred, reflect, one-sided) magnitude, log1p,
  min-max per sample to [0, 1]; C channels stack their bins (F = C * (n_fft/2 + 1));
- TFR block on X (B, T, F): time RNN over T (input F) -> Linear(hidden, F) -> dropout ->
  residual -> LayerNorm(F); frequency RNN over F (input T) -> Linear(hidden, T) ->
  dropout -> residual, then LayerNorm over each frame's F bins (freq_norm="bins") or over
  each bin's T frames (freq_norm="time", the first reading; it leaves every bin zero-mean
  over time). multichannel="features": the frequency RNN runs
  over the bins with the C channels' frames as input (C * T);
- Conv1d(F, f_h, 1), time pyramid D_i = MaxPool1d(2, 2)(D_{i-1}), mean over time -> R_i;
- projector / predictor per scale: Linear -> BatchNorm1d -> ReLU -> Linear;
- loss per direction: mean over scales of mean over the batch of 2 - 2 cos; symmetrised.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class TrlsConfig:
    def __init__(self, channels=1, length=178, n_fft=32, hop=0, multichannel="stack",
                 freq_norm="bins", rnn="lstm", hidden=64, blocks=3, f_h=64, scales=5,
                 dropout=0.2,
                 proj_hidden=256, proj_out=128, num_class=0, image_norm="window",
                 image_lo=0.0, image_hi=1.0):
        self.channels, self.length, self.n_fft = channels, length, n_fft
        self.hop = hop if hop > 0 else n_fft // 4
        self.multichannel, self.rnn, self.hidden = multichannel, rnn, hidden
        if freq_norm not in ("bins", "time"):
            raise ValueError("freq_norm: expected bins or time, found %r" % (freq_norm,))
        self.freq_norm = freq_norm
        self.blocks, self.f_h, self.scales, self.dropout = blocks, f_h, scales, dropout
        self.proj_hidden, self.proj_out, self.num_class = proj_hidden, proj_out, num_class
        self.image_norm, self.image_lo, self.image_hi = image_norm, image_lo, image_hi

    @property
    def bins(self):
        return self.n_fft // 2 + 1

    @property
    def features(self):
        return self.channels * self.bins

    @property
    def frames(self):
        return 1 + self.length // self.hop

    def as_dict(self):
        return dict(channels=self.channels, length=self.length, n_fft=self.n_fft, hop=self.hop,
                    multichannel=self.multichannel, freq_norm=self.freq_norm,
                    rnn=self.rnn, hidden=self.hidden,
                    blocks=self.blocks, f_h=self.f_h, scales=self.scales,
                    dropout=self.dropout, proj_hidden=self.proj_hidden,
                    proj_out=self.proj_out, num_class=self.num_class,
                    image_norm=self.image_norm, image_lo=self.image_lo, image_hi=self.image_hi)


def spectrogram(x, cfg):
    """(N, C, L) -> (N, C * bins, T) in [0, 1] (per window, or by fixed bounds)."""
    n, c, length = x.shape
    win = torch.hann_window(cfg.n_fft, periodic=True, dtype=x.dtype)
    z = torch.stft(x.reshape(n * c, length), cfg.n_fft, hop_length=cfg.hop, win_length=cfg.n_fft,
                   window=win, center=True, pad_mode="reflect", normalized=False,
                   onesided=True, return_complex=True)
    img = torch.log1p(z.abs()).reshape(n, c * cfg.bins, -1)
    if cfg.image_norm == "dataset":
        return ((img - cfg.image_lo) / (cfg.image_hi - cfg.image_lo)).clamp(0, 1)
    flat = img.reshape(n, -1)
    lo = flat.min(1, keepdim=True).values
    hi = flat.max(1, keepdim=True).values
    span = hi - lo
    out = torch.where(span > 0, (flat - lo) / torch.where(span > 0, span, torch.ones_like(span)),
                      torch.zeros_like(flat))
    return out.reshape(img.shape)


class SeqNet(nn.Module):
    def __init__(self, kind, n_in, hidden):
        super().__init__()
        self.kind = kind
        if kind == "lstm":
            self.lstm = nn.LSTM(n_in, hidden, batch_first=True)
        elif kind == "gru":
            self.gru = nn.GRU(n_in, hidden, batch_first=True)
        elif kind == "rnn":
            self.rnn = nn.RNN(n_in, hidden, batch_first=True)
        elif kind == "tcn":
            self.tcn1 = nn.Conv1d(n_in, hidden, 3, padding=1)
            self.tcn2 = nn.Conv1d(hidden, hidden, 3, padding=2, dilation=2)
        else:
            raise ValueError(kind)

    def forward(self, x):
        if self.kind == "tcn":
            h = torch.relu(self.tcn1(x.transpose(1, 2)))
            return torch.relu(self.tcn2(h)).transpose(1, 2)
        return getattr(self, self.kind)(x)[0]


class TfrBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        f, t = cfg.features, cfg.frames
        fin = t if cfg.multichannel == "stack" else cfg.channels * t
        self.time_rnn = SeqNet(cfg.rnn, f, cfg.hidden)
        self.time_out = nn.Linear(cfg.hidden, f)
        self.time_norm = nn.LayerNorm(f)
        self.freq_rnn = SeqNet(cfg.rnn, fin, cfg.hidden)
        self.freq_out = nn.Linear(cfg.hidden, fin)
        self.freq_norm = nn.LayerNorm(fin if cfg.freq_norm == "time" else f)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x):
        h = self.time_norm(x + self.drop(self.time_out(self.time_rnn(x))))
        b, t, f = h.shape
        c = self.cfg.channels
        if self.cfg.multichannel == "stack":
            z = h.transpose(1, 2)
        else:
            z = h.reshape(b, t, c, f // c).permute(0, 3, 2, 1).reshape(b, f // c, c * t)
        z = z + self.drop(self.freq_out(self.freq_rnn(z)))
        by_time = self.cfg.freq_norm == "time"
        if by_time:
            z = self.freq_norm(z)
        if self.cfg.multichannel == "stack":
            y = z.transpose(1, 2)
        else:
            y = z.reshape(b, f // c, c, t).permute(0, 3, 2, 1).reshape(b, t, f)
        return y if by_time else self.freq_norm(y)


class Tfrnn(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.blocks = nn.ModuleList([TfrBlock(cfg) for _ in range(cfg.blocks)])
        self.reduce = nn.Conv1d(cfg.features, cfg.f_h, 1)

    def forward(self, img):
        x = img.transpose(1, 2)
        for b in self.blocks:
            x = b(x)
        d = self.reduce(x.transpose(1, 2))
        reps = []
        for i in range(self.cfg.scales):
            if i > 0:
                d = F.max_pool1d(d, 2, 2)
            reps.append(d.mean(2))
        return reps

    def embed(self, img):
        return torch.cat(self.forward(img), 1)


def mlp(n_in, hidden, n_out):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, n_out))


class Trls(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.encoder = Tfrnn(cfg)
        self.projectors = nn.ModuleList()
        self.predictors = nn.ModuleList()
        self.target_projectors = nn.ModuleList()
        for _ in range(cfg.scales):
            self.projectors.append(mlp(cfg.f_h, cfg.proj_hidden, cfg.proj_out))
            self.predictors.append(mlp(cfg.proj_out, cfg.proj_hidden, cfg.proj_out))
        self.target_encoder = Tfrnn(cfg)
        for _ in range(cfg.scales):
            self.target_projectors.append(mlp(cfg.f_h, cfg.proj_hidden, cfg.proj_out))
        self.reset_target()

    def _pairs(self):
        on = list(self.encoder.parameters()) + list(self.projectors.parameters())
        tg = list(self.target_encoder.parameters()) + list(self.target_projectors.parameters())
        return zip(on, tg)

    @torch.no_grad()
    def reset_target(self):
        for o, t in self._pairs():
            t.copy_(o)
            t.requires_grad_(False)

    @torch.no_grad()
    def update_target(self, tau):
        for o, t in self._pairs():
            t.mul_(tau).add_(o.detach(), alpha=1.0 - tau)

    def loss(self, v1, v2, negatives=0.0):
        def one_way(a, b):
            ra = self.encoder(a)
            with torch.no_grad():
                rb = self.target_encoder(b)
                tb = [self.target_projectors[i](rb[i]) for i in range(self.cfg.scales)]
            total = a.new_zeros(())
            for i in range(self.cfg.scales):
                p = self.predictors[i](self.projectors[i](ra[i]))
                pn, tn = F.normalize(p, dim=1), F.normalize(tb[i], dim=1)
                total = total + (2 - 2 * (pn * tn).sum(1)).mean()
                if negatives > 0:
                    logits = pn @ tn.t() / 0.2
                    total = total + negatives * F.cross_entropy(
                        logits, torch.arange(pn.shape[0]))
            return total / self.cfg.scales

        return one_way(v1, v2) + one_way(v2, v1)


class TrlsClassifier(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = Tfrnn(cfg)
        if cfg.num_class > 0:
            self.head = nn.Linear(cfg.scales * cfg.f_h, cfg.num_class)

    def embed(self, img):
        return self.encoder.embed(img)

    def forward(self, img):
        return self.head(self.encoder.embed(img))


def count_parameters(m):
    return sum(p.numel() for p in m.parameters())


if __name__ == "__main__":
    cfg = TrlsConfig(num_class=2)
    print("Epilepsy classifier:", count_parameters(TrlsClassifier(cfg)))
    print("Epilepsy pre-training (online + target):", count_parameters(Trls(cfg)))
