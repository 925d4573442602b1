#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""TSRNet in plain PyTorch, written from ../shared/MODELS.md section 1 (network
1.3, spectrogram 1.2, inference masks 1.4, scores 1.6): the twin that `tfmed bench
tsrnet` times against the C++ network at equal threads. Attribute names follow
the C++ module (`time_encoder.main`, `spec_encoder.main`, `conv_spec1`, `attn1`,
`layer_norm1`, `mlp`, `time_decoder.main`), so parameter counts and names can be
compared one to one.
"""
import math

import torch
from torch import nn


class MultiHeadedAttention(nn.Module):
    def __init__(self, heads, d_model, dropout):
        super().__init__()
        self.h, self.d_k = heads, d_model // heads
        self.linear_layers = nn.ModuleList([nn.Linear(d_model, d_model) for _ in range(3)])
        self.output_linear = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, q, k, v):
        b = q.size(0)
        q, k, v = [lin(t).view(b, -1, self.h, self.d_k).transpose(1, 2)
                   for lin, t in zip(self.linear_layers, (q, k, v))]
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)
        x = self.dropout(scores.softmax(-1)) @ v
        return self.output_linear(x.transpose(1, 2).contiguous().view(b, -1, self.h * self.d_k))


class AnnotatedLayerNorm(nn.Module):
    """a * (x - mean) / (std + eps) + b with the unbiased std (MODELS.md 1.3)."""

    def __init__(self, features, eps=1e-6):
        super().__init__()
        self.a_2 = nn.Parameter(torch.ones(features))
        self.b_2 = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x):
        return self.a_2 * (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + self.eps) \
            + self.b_2


class Main(nn.Module):
    def __init__(self, *layers):
        super().__init__()
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


def lrelu():
    return nn.LeakyReLU(0.2, inplace=True)


def encoder_1d(leads, d_model, w):
    layers, c = [nn.Conv1d(leads, w, 4, 2, 1), lrelu()], w
    for _ in range(4):
        layers += [nn.Conv1d(c, 2 * c, 4, 2, 1), nn.BatchNorm1d(2 * c), lrelu()]
        c *= 2
    return Main(*layers, nn.Conv1d(c, d_model, 15))


def encoder_2d(leads, d_model, w):
    layers, c = [nn.Conv2d(leads, w, 3), lrelu()], w
    for _ in range(4):
        layers += [nn.Conv2d(c, 2 * c, 3), nn.BatchNorm2d(2 * c), lrelu()]
        c *= 2
    return Main(*layers, nn.Conv2d(c, d_model, 3))


def decoder_1d(d_model, out, w):
    c = 16 * w
    layers = [nn.ConvTranspose1d(d_model, c, 15), nn.BatchNorm1d(c), nn.ReLU(True)]
    for _ in range(4):
        layers += [nn.ConvTranspose1d(c, c // 2, 4, 2, 1), nn.BatchNorm1d(c // 2), nn.ReLU(True)]
        c //= 2
    return Main(*layers, nn.ConvTranspose1d(c, out, 4, 2, 1), nn.Tanh())


class Tsrnet(nn.Module):
    def __init__(self, leads=12, width=32, d_model=50, heads=2, length=4800, bins=63,
                 frames=78, dropout=0.1):
        super().__init__()
        self.leads, self.length = leads, length
        time_tokens, spec_tokens = length // 32 - 14, frames - 12
        self.time_encoder = encoder_1d(leads, d_model, width)
        self.time_decoder = decoder_1d(d_model, leads + 1, width)
        self.spec_encoder = encoder_2d(leads, d_model, width)
        self.conv_spec1 = nn.Conv1d(d_model * (bins - 12), d_model, 3, padding=1, bias=False)
        self.mlp = nn.Sequential(nn.Linear(time_tokens + spec_tokens, time_tokens),
                                 nn.LayerNorm(time_tokens), nn.ReLU())
        self.attn1 = MultiHeadedAttention(heads, d_model, dropout)
        self.drop = nn.Dropout(dropout)
        self.layer_norm1 = AnnotatedLayerNorm(d_model)

    def attend(self, z):
        return self.layer_norm1(z + self.drop(self.attn1(z, z, z)))

    def forward(self, x, spec):
        t = self.time_encoder(x.transpose(-1, 1))
        s = self.spec_encoder(spec.permute(0, 3, 1, 2))
        s = self.conv_spec1(s.contiguous().view(s.size(0), s.size(1) * s.size(2), s.size(3)))
        z = torch.cat([t, s], -1).transpose(-1, 1)
        z = self.attend(self.attend(z)).transpose(-1, 1)  # the same block twice
        y = self.time_decoder(self.mlp(z)).transpose(-1, 1)
        return y[..., :self.leads], y[..., self.leads:]


def spectrogram(x, n_fft=125, hop=63):
    """|scipy.signal.stft(lead, window='hann', nperseg=125)| of every lead (MODELS.md 1.2):
    (B, T, L) -> (B, 63, 78, L)."""
    b, t, leads = x.shape
    half = n_fft // 2
    frames = -(-(t + 2 * half - n_fft) // hop) + 1  # padded=True: whole frames
    right = (frames - 1) * hop + n_fft - t - half
    xs = torch.nn.functional.pad(x.transpose(1, 2).reshape(b * leads, t), (half, right))
    w = torch.hann_window(n_fft, periodic=True)
    z = torch.stft(xs, n_fft, hop, n_fft, w, center=False, onesided=True, return_complex=True)
    s = z.abs() / w.sum()
    return s.view(b, leads, s.size(1), s.size(2)).permute(0, 2, 3, 1).contiguous()


def inference_masks(t, k, j, patches=100, masked=30, spec_masked=20, spec_range=66):
    """Pass j of the deterministic inference masks (MODELS.md 1.4): 1 = masked."""
    time, spec = torch.zeros(t), torch.zeros(k)
    patch, stride = t // patches, t // masked
    for i in range(masked):
        a = patch * j + stride * i
        time[a:min(a + patch, t)] = 1
    fstride = min(spec_range, k) // spec_masked
    for i in range(spec_masked):
        if j + fstride * i < k:
            spec[j + fstride * i] = 1
    return time, spec


def score_windows(net, x, peak_mask, passes=3):
    """Plain and Peak-based scores of a batch of prepared windows (B, T, L): the three
    masked passes as one batch, pass-major, as the C++ scorer runs them."""
    spec = spectrogram(x)
    xs, ss = [], []
    for j in range(passes):
        tm, sm = inference_masks(x.size(1), spec.size(2), j)
        xs.append(x * (1 - tm).view(1, -1, 1))
        ss.append(spec * (1 - sm).view(1, 1, -1, 1))
    x_hat, s = net(torch.cat(xs), torch.cat(ss))
    err = torch.exp(-s) * (x_hat - x.repeat(passes, 1, 1)).square()
    b = x.size(0)
    plain = err.mean((1, 2)).view(passes, b).mean(0)
    m = peak_mask.unsqueeze(-1).expand_as(x).repeat(passes, 1, 1)
    peak = ((err * m).sum((1, 2)) / m.sum((1, 2))).view(passes, b).mean(0)
    return plain, peak
