#!/usr/bin/python3
"""SpecAR-Net "Python twin": an independent PyTorch implementation of SpecAR-Net
(Dong et al., IJCAI-24) whose state_dict keys, shapes, construction order and
forward computation follow the reference repository Dongyi2go/SpecAR_Net
(commit 0c25cbe, models/SpecAR_Net.py, layers/Embed.py, utils/isotonicRegression.py).
Written from MODELS.md section 2 and from reading the reference; no reference code is
reproduced. A reference checkpoint's state_dict loads into `SpecARNet` with
strict=True and vice versa (checked against the reference class).

Run as a script it prints the parameter counts of MODELS.md 2.3 / 2.4.

Mapping to MODELS.md section 2
------------------------------
2.1 embedding      -> DataEmbedding (value_embedding.tokenConv, position_embedding.pe,
                      temporal_embedding.embed), dropout after the sum
2.1 SpecAR-Block   -> SpecARBlock: stft_frames() (step 1), freq_attention() (step 2),
                      cnn[0..M-1] + complex ReLU + mean (step 3), l0 (step 4),
                      freq-mean + crop / l2 (step 5)
2.1 between blocks -> SpecARNet._encode: h <- layer_norm(block_i(h)), no residual
2.1 heads          -> SpecARNet.anomaly_detection / classification / imputation /
                      forecast; isotonic head conv1d + l1 -> seq_series
2.2 TOP loss       -> top_loss_part / top_losses / top_losses_impt / task_loss
2.3, 2.4 counts    -> count_parameters(), PAPER_CONFIGS, main()

Config names follow the reference's argparse names (so its Namespace works as a
config); the aliases win_length == win_len and window == win_func are accepted by
SpecARConfig.from_kwargs.

Points where MODELS.md is silent or differs from the reference code (all checked on the
code; the twin follows the code):
 * The kernel-1 branch is registered TWICE: as `single_ComplexConv_dila0` and as
   `cnn.0` (same module object). The state_dict therefore holds both
   `model.<i>.cnn.0.conv_{r,i}.{weight,bias}` and
   `model.<i>.single_ComplexConv_dila0.conv_{r,i}.{weight,bias}` (same tensors);
   parameters() counts them once (the MODELS.md counts are de-duplicated counts).
 * The positional encoding is a persistent buffer: `enc_embedding.position_embedding.pe`
   of shape (1, 100000, D) is in every state_dict / checkpoint.
 * Imputation "masked statistics": mean = sum_t x_enc / #observed, i.e. the sum runs over
   ALL points of x_enc (the caller has already zeroed masked points; the model does not
   zero them before summing). std = sqrt(sum_t(masked-filled (x-mean))^2 / #observed + 1e-5).
 * The isotonic head needs even D (Conv1d stride 2 gives ceil(D/2) outputs, l1 has
   int(D/2) inputs): odd d_model crashes in forecast/imputation.
 * TOP prediction part with pred_len = 0 is undefined in the code (seq[:, -0:] is the
   whole series and arange(0).max() raises); the ramp t/(L-1) is NaN for L = 1.
 * H != 1: frames = 1 + floor(T/H) and l2 = Linear(int((T+H)/H) -> T) (same number).
 * Short-term: the 0.005 * L_input term for Weekly/Daily/Hourly is applied when the
   0-based epoch index > 5 (i.e. from the 7th epoch).
Paper vs code (paper text): dilation d[k] = 2k+1 and all kernels 3x3 in the paper; code
uses a 1x1 branch plus dilations 1..M-1. Paper TOP loss (lambda/2) sum ||Phi - t||^2
+ 1/2||u||^2 with raw t; code: normalised q/max(q) vs ramp t/(L-1), sum reduction, no
1/2, no L2 term on u, lambda = 0.001 (0.005). Paper mentions a skip connection, code has
none. Paper: window = n_fft = 2n+1 and hop 1 so T frames; code crops T+1 frames to T.
"""
import argparse
import dataclasses
import math
import sys
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

TASKS = ('anomaly_detection', 'classification', 'imputation',
         'long_term_forecast', 'short_term_forecast')
WINDOWS = ('hanning', 'hamming', 'rectangle', 'triang', 'blackman')
COMPLEX_BACKBONE = 'CompelxConv2d'          # sic, the reference's spelling
DUAL_BACKBONE = 'DualChannelConv2d'
TIME_FEATURES = {'h': 4, 't': 5, 's': 6, 'm': 1, 'a': 1, 'w': 2, 'd': 3, 'b': 3}
PE_MAX_LEN = 100000


@dataclass
class SpecARConfig:
    task_name: str = 'anomaly_detection'
    seq_len: int = 100
    label_len: int = 0          # only used by the caller (decoder input), not by the model
    pred_len: int = 0
    enc_in: int = 7             # N
    c_out: int = 7
    d_model: int = 64           # D
    d_ff: int = 64              # Dff
    e_layers: int = 2           # E
    conv_layers: int = 3        # M (branches per block)
    n_fft: int = 16             # F
    win_len: int = 16           # W
    hop_length: int = 1         # H
    win_func: str = 'rectangle'
    backbone: str = COMPLEX_BACKBONE
    num_class: int = 0
    embed: str = 'timeF'        # 'timeF' (Linear) or 'fixed'/'learned' (TemporalEmbedding)
    freq: str = 'h'
    dropout: float = 0.1
    seasonal_patterns: str = 'Monthly'   # only for short-term TOP weighting
    pe_max_len: int = PE_MAX_LEN

    @classmethod
    def from_kwargs(cls, **kw):
        if 'win_length' in kw:
            kw['win_len'] = kw.pop('win_length')
        if 'window' in kw:
            kw['win_func'] = kw.pop('window')
        if 'task' in kw:
            kw['task_name'] = kw.pop('task')
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in kw.items() if k in names})

    @property
    def total_len(self):
        return self.seq_len + self.pred_len

    def as_dict(self):
        return dataclasses.asdict(self)


# ----------------------------------------------------------------------------------
# Embedding (layers/Embed.py names)
# ----------------------------------------------------------------------------------
def sinusoid_table(length, d_model):
    """pe[p, 2i] = sin(p * w_i), pe[p, 2i+1] = cos(p * w_i),
    w_i = exp(2i * -(ln 10000 / D)); everything in float32 as in the reference."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freqs = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32)
                      * -(math.log(10000.0) / d_model))
    table = torch.zeros(length, d_model, dtype=torch.float32)
    table[:, 0::2] = torch.sin(pos * freqs)
    table[:, 1::2] = torch.cos(pos * freqs)
    return table


class PositionalEmbedding(nn.Module):
    def __init__(self, d_model, max_len=PE_MAX_LEN):
        super().__init__()
        self.register_buffer('pe', sinusoid_table(max_len, d_model)[None])   # persistent

    def forward(self, x):
        return self.pe[:, :x.shape[1]]


class TokenEmbedding(nn.Module):
    """Conv1d N -> D, kernel 3, circular padding 1, no bias, Kaiming-normal (fan_in,
    leaky_relu with a = 0, i.e. std = sqrt(2 / (3 N)))."""

    def __init__(self, c_in, d_model):
        super().__init__()
        self.tokenConv = nn.Conv1d(c_in, d_model, kernel_size=3, padding=1,
                                   padding_mode='circular', bias=False)
        nn.init.kaiming_normal_(self.tokenConv.weight, mode='fan_in',
                                nonlinearity='leaky_relu')

    def forward(self, x):                         # (B, T, N) -> (B, T, D)
        return self.tokenConv(x.transpose(1, 2)).transpose(1, 2)


class FixedEmbedding(nn.Module):
    def __init__(self, c_in, d_model):
        super().__init__()
        self.emb = nn.Embedding(c_in, d_model)
        self.emb.weight = nn.Parameter(sinusoid_table(c_in, d_model), requires_grad=False)

    def forward(self, x):
        return self.emb(x).detach()


class TemporalEmbedding(nn.Module):
    """Only used when embed != 'timeF' (never in the published scripts)."""

    def __init__(self, d_model, embed_type='fixed', freq='h'):
        super().__init__()
        make = FixedEmbedding if embed_type == 'fixed' else nn.Embedding
        if freq == 't':
            self.minute_embed = make(4, d_model)
        self.hour_embed = make(24, d_model)
        self.weekday_embed = make(7, d_model)
        self.day_embed = make(32, d_model)
        self.month_embed = make(13, d_model)

    def forward(self, x):
        x = x.long()
        out = (self.hour_embed(x[:, :, 3]) + self.weekday_embed(x[:, :, 2])
               + self.day_embed(x[:, :, 1]) + self.month_embed(x[:, :, 0]))
        if hasattr(self, 'minute_embed'):
            out = out + self.minute_embed(x[:, :, 4])
        return out


class TimeFeatureEmbedding(nn.Module):
    def __init__(self, d_model, freq='h'):
        super().__init__()
        self.embed = nn.Linear(TIME_FEATURES[freq], d_model, bias=False)

    def forward(self, x):
        return self.embed(x)


class DataEmbedding(nn.Module):
    def __init__(self, c_in, d_model, embed_type='timeF', freq='h', dropout=0.1,
                 pe_max_len=PE_MAX_LEN):
        super().__init__()
        self.value_embedding = TokenEmbedding(c_in, d_model)
        self.position_embedding = PositionalEmbedding(d_model, pe_max_len)
        if embed_type == 'timeF':
            self.temporal_embedding = TimeFeatureEmbedding(d_model, freq)
        else:
            self.temporal_embedding = TemporalEmbedding(d_model, embed_type, freq)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x, x_mark):
        h = self.value_embedding(x)
        if x_mark is not None:
            h = h + self.temporal_embedding(x_mark)
        return self.dropout(h + self.position_embedding(x))


# ----------------------------------------------------------------------------------
# Complex convolutions on (real, imag) pairs
# ----------------------------------------------------------------------------------
class _PairConv(nn.Module):
    def __init__(self, cin, cout, kernel_size, dilation, padding):
        super().__init__()
        self.conv_r = nn.Conv2d(cin, cout, kernel_size, 1, padding, dilation)
        self.conv_i = nn.Conv2d(cin, cout, kernel_size, 1, padding, dilation)


class ComplexConv(_PairConv):
    """(Wr + iWi) * (a + ib), each real conv with its own bias:
    re = conv_r(a) - conv_i(b), im = conv_r(b) + conv_i(a)."""

    def forward(self, z):
        a, b = z
        return self.conv_r(a) - self.conv_i(b), self.conv_r(b) + self.conv_i(a)


class DualChannelConv(_PairConv):
    """Ablation 'DCN': re = conv_r(a), im = -conv_i(b) (no cross terms)."""

    def forward(self, z):
        a, b = z
        return self.conv_r(a), -self.conv_i(b)


def make_window(kind, length):
    if kind == 'hanning':
        return torch.hann_window(length, dtype=torch.float32)          # periodic
    if kind == 'hamming':
        return torch.hamming_window(length, dtype=torch.float32)       # periodic
    if kind == 'rectangle':
        return torch.ones(length, dtype=torch.float32)
    if kind == 'triang':                 # scipy.signal.triang(length), symmetric
        n = torch.arange(1, (length + 1) // 2 + 1, dtype=torch.float64)
        if length % 2 == 0:
            half = (2 * n - 1) / length
            w = torch.cat([half, half.flip(0)])
        else:
            half = 2 * n / (length + 1)
            w = torch.cat([half, half[:-1].flip(0)])
        return w.to(torch.float32)
    return torch.blackman_window(length, dtype=torch.float32)          # anything else


class SpecARBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_fft, self.win_len = cfg.n_fft, cfg.win_len
        self.hop_length, self.win_func = cfg.hop_length, cfg.win_func
        self.conv_layers = cfg.conv_layers
        conv = ComplexConv if cfg.backbone == COMPLEX_BACKBONE else DualChannelConv
        D, Dff = cfg.d_model, cfg.d_ff
        # registration order matters for the state_dict order: cnn, single..., l0, l2
        self.cnn = nn.ModuleList()
        self.single_ComplexConv_dila0 = conv(D, D, 1, 1, 0)
        self.cnn.append(self.single_ComplexConv_dila0)
        for k in range(1, cfg.conv_layers):
            self.cnn.append(nn.Sequential(conv(D, Dff, 3, k, k), conv(Dff, D, 3, k, k)))
        self.l0 = nn.Linear(2, 1)
        T, H = cfg.total_len, cfg.hop_length
        self.l2 = nn.Linear(int((T + H) / H), T)   # used only when H != 1

    def stft_frames(self, x):
        """x (B, T, D) real -> Z (B, D, F, 1 + T//H) complex64, per feature series."""
        B, T, D = x.shape
        win = make_window(self.win_func, self.win_len).to(x.device)
        z = torch.stft(x.transpose(1, 2).reshape(B * D, T), n_fft=self.n_fft,
                       hop_length=self.hop_length, win_length=self.win_len, window=win,
                       center=True, pad_mode='reflect', normalized=True, onesided=False,
                       return_complex=True)
        return z.reshape(B, D, z.shape[-2], z.shape[-1])

    @staticmethod
    def freq_attention(zr, zi):
        """G = Z Z^T (no conjugate, sum over frames), A = sigmoid(Re G) + i sigmoid(Im G),
        Y = A Z. Inputs/outputs are real and imaginary parts (B, D, F, L)."""
        gr = zr @ zr.transpose(-1, -2) - zi @ zi.transpose(-1, -2)
        gi = zr @ zi.transpose(-1, -2) + zi @ zr.transpose(-1, -2)
        ar, ai = torch.sigmoid(gr), torch.sigmoid(gi)
        return ar @ zr - ai @ zi, ar @ zi + ai @ zr

    def forward(self, x):
        T = x.shape[1]
        z = self.stft_frames(x)
        yr, yi = self.freq_attention(z.real.contiguous(), z.imag.contiguous())
        outs_r, outs_i = [], []
        for branch in self.cnn:
            br, bi = branch((yr, yi))
            outs_r.append(F.relu(br))
            outs_i.append(F.relu(bi))
        mr = torch.stack(outs_r, -1).mean(-1)
        mi = torch.stack(outs_i, -1).mean(-1)
        real = self.l0(torch.stack([mr, mi], -1)).squeeze(-1)     # (B, D, F, L)
        s = real.mean(2)                                          # (B, D, L)
        s = s[:, :, :T] if self.hop_length == 1 else self.l2(s)
        return s.permute(0, 2, 1)                                 # (B, T, D)


# ----------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------
def _instance_norm(x):
    mean = x.mean(1, keepdim=True).detach()
    x = x - mean
    std = torch.sqrt(torch.var(x, dim=1, keepdim=True, unbiased=False) + 1e-5)
    return x / std, mean, std


class SpecARNet(nn.Module):
    """forward(x_enc, x_mark_enc, x_dec, x_mark_dec, mask=None) as in TSLib:
    anomaly_detection -> (B, T, c_out); classification (x_mark_enc = padding mask (B, T))
    -> (B, num_class); imputation -> ((B, T, c_out), seq_series (B, T));
    long/short_term_forecast -> ((B, pred_len, c_out), seq_series (B, seq_len+pred_len))."""

    def __init__(self, cfg):
        super().__init__()
        if cfg.task_name not in TASKS:
            raise ValueError(f'unknown task {cfg.task_name}')
        self.cfg = cfg
        self.task_name = cfg.task_name
        self.seq_len, self.pred_len = cfg.seq_len, cfg.pred_len
        self.all_len = cfg.total_len
        self.layer = cfg.e_layers
        # construction order = reference order (same RNG draws under the same seed)
        self.model = nn.ModuleList([SpecARBlock(cfg) for _ in range(cfg.e_layers)])
        self.enc_embedding = DataEmbedding(cfg.enc_in, cfg.d_model, cfg.embed, cfg.freq,
                                           cfg.dropout, cfg.pe_max_len)
        self.layer_norm = nn.LayerNorm(cfg.d_model)               # eps 1e-5, shared
        if self.task_name in ('long_term_forecast', 'short_term_forecast'):
            self.predict_linear = nn.Linear(self.seq_len, self.all_len)
            self.projection = nn.Linear(cfg.d_model, cfg.c_out)
        elif self.task_name in ('imputation', 'anomaly_detection'):
            self.projection = nn.Linear(cfg.d_model, cfg.c_out)
        else:
            self.dropout = nn.Dropout(cfg.dropout)
            self.projection = nn.Linear(cfg.d_model * cfg.seq_len, cfg.num_class)
        self.conv1d = nn.Conv1d(self.all_len, self.all_len, 3, stride=2, padding=1)
        self.l1 = nn.Linear(int(cfg.d_model / 2), 1)

    # shared pieces
    def _encode(self, h):
        for blk in self.model:
            h = self.layer_norm(blk(h))
        return h

    def _isotonic(self, h):                  # (B, T, D): T as channels, D as length
        return self.l1(self.conv1d(h)).squeeze(-1)

    def _denorm(self, y, mean, std):
        return y * std[:, :1, :] + mean[:, :1, :]

    # heads
    def anomaly_detection(self, x_enc):
        x, mean, std = _instance_norm(x_enc)
        h = self._encode(self.enc_embedding(x, None))
        return self._denorm(self.projection(h), mean, std)

    def classification(self, x_enc, padding_mask):
        h = self._encode(self.enc_embedding(x_enc, None))
        h = self.dropout(F.gelu(h)) * padding_mask.unsqueeze(-1)
        return self.projection(h.reshape(h.shape[0], -1))

    def imputation(self, x_enc, x_mark_enc, mask):
        count = torch.sum(mask == 1, dim=1)
        mean = (torch.sum(x_enc, dim=1) / count).unsqueeze(1).detach()
        x = (x_enc - mean).masked_fill(mask == 0, 0)
        std = torch.sqrt(torch.sum(x * x, dim=1) / count + 1e-5).unsqueeze(1).detach()
        h = self._encode(self.enc_embedding(x / std, x_mark_enc))
        return self._denorm(self.projection(h), mean, std), self._isotonic(h)

    def forecast(self, x_enc, x_mark_enc):
        x, mean, std = _instance_norm(x_enc)
        h = self.enc_embedding(x, x_mark_enc)                       # (B, seq_len, D)
        h = self.predict_linear(h.transpose(1, 2)).transpose(1, 2)  # (B, T, D)
        h = self._encode(h)
        return self._denorm(self.projection(h), mean, std), self._isotonic(h)

    def forward(self, x_enc, x_mark_enc, x_dec, x_mark_dec, mask=None):
        if self.task_name in ('long_term_forecast', 'short_term_forecast'):
            y, seq_series = self.forecast(x_enc, x_mark_enc)
            return y[:, -self.pred_len:, :], seq_series
        if self.task_name == 'imputation':
            return self.imputation(x_enc, x_mark_enc, mask)
        if self.task_name == 'anomaly_detection':
            return self.anomaly_detection(x_enc)
        return self.classification(x_enc, x_mark_enc)


# ----------------------------------------------------------------------------------
# Temporal-order-preserving ("isotonic regression") loss, utils/isotonicRegression.py
# ----------------------------------------------------------------------------------
def top_loss_part(q):
    """sum_{b,t} (q[b,t] / max_t q[b,:] (detached) - t/(L-1))^2 for q (B, L)."""
    L = q.shape[1]
    ramp = torch.arange(L, dtype=torch.float32, device=q.device) / float(L - 1)
    qn = q / torch.max(q, dim=-1, keepdim=True)[0].detach()
    return ((qn - ramp) ** 2).sum()


def top_losses(seq_series, seq_len, pred_len):
    """(whole, input part = first seq_len, prediction part = last pred_len)."""
    if pred_len <= 0:
        raise ValueError('prediction part needs pred_len > 0 (undefined in the reference)')
    return (top_loss_part(seq_series), top_loss_part(seq_series[:, :seq_len]),
            top_loss_part(seq_series[:, -pred_len:]))


def top_losses_impt(seq_series, seq_len):
    """Imputation variant: (whole, input part)."""
    return top_loss_part(seq_series), top_loss_part(seq_series[:, :seq_len])


def task_loss(cfg, outputs, target, seq_series=None, mask=None, epoch=0, main=None):
    """Training loss as the reference experiments combine it.
    long_term_forecast: MSE(out, y) + 0.001 L_pred;  imputation: MSE over mask==0
    + 0.001 L_input;  short_term_forecast: main (SMAPE etc., pass it in) + 0.001 L_input
    + 0.001 L_pred, or for Weekly/Daily/Hourly + 0.005 L_input only when epoch > 5;
    anomaly_detection: MSE(out, x);  classification: cross-entropy."""
    t = cfg.task_name
    if t == 'long_term_forecast':
        return F.mse_loss(outputs, target) + 0.001 * top_losses(
            seq_series, cfg.seq_len, cfg.pred_len)[2]
    if t == 'imputation':
        return (F.mse_loss(outputs[mask == 0], target[mask == 0])
                + 0.001 * top_losses_impt(seq_series, cfg.seq_len)[1])
    if t == 'short_term_forecast':
        _, l_in, l_pred = top_losses(seq_series, cfg.seq_len, cfg.pred_len)
        if cfg.seasonal_patterns in ('Weekly', 'Daily', 'Hourly'):
            return main + 0.005 * l_in if epoch > 5 else main
        return main + 0.001 * l_in + 0.001 * l_pred
    if t == 'anomaly_detection':
        return F.mse_loss(outputs, target)
    return F.cross_entropy(outputs, target.long())


# ----------------------------------------------------------------------------------
# Parameter counts (MODELS.md 2.3 / 2.4)
# ----------------------------------------------------------------------------------
def count_parameters(model):
    return sum(p.numel() for p in model.parameters())       # shared modules once


def block_formula(cfg):
    D, Dff, M, T, H = cfg.d_model, cfg.d_ff, cfg.conv_layers, cfg.total_len, cfg.hop_length
    return (2 * (D * D + D) + (M - 1) * (2 * (9 * D * Dff + Dff) + 2 * (9 * Dff * D + D))
            + 3 + int((T + H) / H) * T + T)


def _ad(N, D, E, M, **kw):
    return SpecARConfig.from_kwargs(task_name='anomaly_detection', seq_len=100, pred_len=0,
                                    enc_in=N, c_out=N, d_model=D, d_ff=D, e_layers=E,
                                    conv_layers=M, **kw)


PAPER_CONFIGS = {
    # name: (config, expected total from MODELS.md)
    'SMD': (lambda: _ad(38, 64, 2, 3), 668177),
    'MSL': (lambda: _ad(55, 8, 5, 6, n_fft=100, win_len=100, win_func='hamming'), 142103),
    'SMAP': (lambda: _ad(25, 128, 3, 3), 3715455),
    'SWaT': (lambda: _ad(51, 32, 2, 3), 209486),
    'PSM': (lambda: _ad(25, 64, 2, 4), 960260),
    'JapaneseVowels': (lambda: SpecARConfig.from_kwargs(
        task_name='classification', seq_len=29, pred_len=0, enc_in=12, c_out=12,
        d_model=64, d_ff=64, e_layers=3, conv_layers=3, num_class=9), 935924),
}


def paper_counts(pe_max_len=1):
    """Counts for PAPER_CONFIGS (pe is a buffer, so its length does not change counts)."""
    out = {}
    for name, (make, expected) in PAPER_CONFIGS.items():
        cfg = make()
        cfg.pe_max_len = pe_max_len
        m = SpecARNet(cfg)
        out[name] = {'config': cfg.as_dict(), 'total': count_parameters(m),
                     'per_block': count_parameters(m.model[0]),
                     'per_block_formula': block_formula(cfg), 'expected_total': expected}
    return out


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    torch.manual_seed(0)
    ok = True
    for name, r in paper_counts().items():
        good = r['total'] == r['expected_total'] and r['per_block'] == r['per_block_formula']
        ok &= good
        print(f"{name:15s} total {r['total']:>9,d} (MODELS.md {r['expected_total']:>9,d})"
              f"  per block {r['per_block']:>9,d}  {'OK' if good else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
