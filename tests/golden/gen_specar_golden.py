#!/usr/bin/python3
"""Write the SpecAR-Net golden files for the C++/LibTorch port (MODELS.md section 2).

The model is the Python twin tests/reference/specar_twin.py, whose state_dict keys,
initialisation order and forward pass follow the reference SpecAR_Net code. Small
configurations (N=3, seq_len 24, d_model 8, d_ff 8, e_layers 2, conv_layers 3,
n_fft = win_len = 8, hop 1, rectangle window, batch 2, float32), model.eval() so dropout
is off:

  ad            anomaly_detection
  cls           classification, num_class 4, padding mask (sample 1: last 5 steps padded)
  imp           imputation, Bernoulli(0.25) mask (0 = masked), hourly timeF x_mark
  ltf           long_term_forecast, pred_len 8, label_len 12, x_mark / x_mark_dec
  ad_hop2       anomaly_detection, hop_length 2 (uses the per-block Linear l2)
  ad_hamming    anomaly_detection, hamming window
  ad_dcn        anomaly_detection, DualChannelConv2d backbone

Per case, in OUTDIR/<case>/:
  state_dict.pt      torch.save(dict(model.state_dict())): a plain dict (LibTorch reads it)
                     including the duplicate keys model.<i>.single_ComplexConv_dila0.* (same
                     tensors as model.<i>.cnn.0.*) and the (1, 100000, D) buffer
                     enc_embedding.position_embedding.pe
  x_enc.npy ...      inputs: x_enc, and where used x_mark_enc, x_dec, x_mark_dec, mask,
                     padding_mask, target (float32)
  out.npy            model output; seq_series.npy for imputation / forecasting
  emb.npy            enc_embedding output (B, seq_len, D); ltf also emb_aligned.npy
                     (after predict_linear, (B, seq_len+pred_len, D))
  stft0_re/im.npy    block 0 STFT (B, D, n_fft, 1 + T//hop)
  attn0_re/im.npy    block 0 frequency attention output (same shape)
  block<i>_raw.npy   block i output before the shared LayerNorm; block<i>.npy after it
  losses.json        TOP loss parts (sum-reduced) and the task loss
and OUTDIR/cases.json (every knob, every file, state_dict names/shapes/sums),
OUTDIR/top_fixed.json (TOP loss on a fixed series), OUTDIR/param_counts.json (the
MODELS.md 2.3 / 2.4 configurations). Usage: gen_specar_golden.py OUTDIR
"""
import datetime
import json
import math
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"SpecAR-Net golden generator needs python3-numpy and python3-torch: {e}")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import specar_twin as tw  # noqa: E402

torch.set_num_threads(1)
B = 2
BASE = dict(seq_len=24, label_len=0, pred_len=0, enc_in=3, c_out=3, d_model=8, d_ff=8,
            e_layers=2, conv_layers=3, n_fft=8, win_len=8, hop_length=1,
            win_func="rectangle", backbone=tw.COMPLEX_BACKBONE, num_class=0,
            embed="timeF", freq="h", dropout=0.1)
CASES = [
    ("ad", dict(task_name="anomaly_detection")),
    ("cls", dict(task_name="classification", num_class=4)),
    ("imp", dict(task_name="imputation")),
    ("ltf", dict(task_name="long_term_forecast", label_len=12, pred_len=8)),
    ("ad_hop2", dict(task_name="anomaly_detection", hop_length=2)),
    ("ad_hamming", dict(task_name="anomaly_detection", win_func="hamming")),
    ("ad_dcn", dict(task_name="anomaly_detection", backbone=tw.DUAL_BACKBONE)),
]


def time_features(start, n):
    """TSLib timeF for freq 'h': hour/23, weekday/6, (day-1)/30, (yday-1)/365, each - 0.5."""
    rows = []
    for k in range(n):
        t = start + datetime.timedelta(hours=k)
        rows.append([t.hour / 23.0 - 0.5, t.weekday() / 6.0 - 0.5, (t.day - 1) / 30.0 - 0.5,
                     (t.timetuple().tm_yday - 1) / 365.0 - 0.5])
    return torch.tensor(rows, dtype=torch.float32)


def series(gen, n_steps, n_ch, offset):
    t = torch.arange(n_steps, dtype=torch.float32)[None, :, None] + offset
    ch = torch.arange(n_ch, dtype=torch.float32)[None, None, :]
    x = (torch.sin(2 * math.pi * t / (6 + 2 * ch)) * (1 + ch) + 0.3 * ch + 0.02 * t
         + 0.3 * torch.randn(B, n_steps, n_ch, generator=gen))
    return x.float()


def make_inputs(cfg, gen):
    T, N = cfg.seq_len, cfg.enc_in
    start = datetime.datetime(2016, 7, 1)
    marks = lambda n: torch.stack([time_features(start + datetime.timedelta(hours=5 * b), n)
                                   for b in range(B)])
    task = cfg.task_name
    if task == "anomaly_detection":
        x = series(gen, T, N, 0.0)
        return dict(x_enc=x), (x, None, None, None), {}
    if task == "classification":
        x = series(gen, T, N, 0.0)
        pm = torch.ones(B, T)
        pm[1, -5:] = 0
        x = x * pm[:, :, None]                      # UEA padding is zeros
        y = torch.tensor([1.0, 3.0])
        return dict(x_enc=x, padding_mask=pm, target=y), (x, pm, None, None), {}
    if task == "imputation":
        truth = series(gen, T, N, 0.0)
        mask = (torch.rand(B, T, N, generator=gen) > 0.25).float()   # rand <= 0.25: masked
        x = truth.masked_fill(mask == 0, 0)
        xm = marks(T)
        return (dict(x_enc=x, x_mark_enc=xm, mask=mask, target=truth),
                (x, xm, None, None), dict(mask=mask))
    L, P = cfg.label_len, cfg.pred_len
    full = series(gen, T + P, N, 0.0)
    fm = marks(T + P)
    x, xm = full[:, :T], fm[:, :T]
    y = full[:, T - L:]
    x_dec = torch.cat([y[:, :L], torch.zeros(B, P, N)], 1)
    return (dict(x_enc=x, x_mark_enc=xm, x_dec=x_dec, x_mark_dec=fm[:, T - L:],
                 target=y[:, -P:]), (x, xm, x_dec, fm[:, T - L:]), {})


@torch.no_grad()
def intermediates(model, cfg, args, kw):
    """Re-run the encoder path step by step (eval mode) and return named arrays."""
    x_enc, x_mark = args[0], args[1]
    task = cfg.task_name
    out = {}
    if task == "imputation":
        mask = kw["mask"]
        cnt = torch.sum(mask == 1, dim=1)
        mean = (x_enc.sum(1) / cnt).unsqueeze(1)
        x = (x_enc - mean).masked_fill(mask == 0, 0)
        x = x / torch.sqrt(torch.sum(x * x, 1) / cnt + 1e-5).unsqueeze(1)
    elif task == "classification":
        x, x_mark = x_enc, None
    else:
        x = tw._instance_norm(x_enc)[0]
    if task == "anomaly_detection":
        x_mark = None
    h = model.enc_embedding(x, x_mark)
    out["emb"] = h
    if task in ("long_term_forecast", "short_term_forecast"):
        h = model.predict_linear(h.transpose(1, 2)).transpose(1, 2)
        out["emb_aligned"] = h
    blk0 = model.model[0]
    z = blk0.stft_frames(h)
    out["stft0_re"], out["stft0_im"] = z.real, z.imag
    ar, ai = blk0.freq_attention(z.real.contiguous(), z.imag.contiguous())
    out["attn0_re"], out["attn0_im"] = ar, ai
    for i, blk in enumerate(model.model):
        raw = blk(h)
        h = model.layer_norm(raw)
        out[f"block{i}_raw"], out[f"block{i}"] = raw, h
    if task == "anomaly_detection":   # the step-by-step path reproduces the output
        _, mean, std = tw._instance_norm(x_enc)
        assert torch.allclose(model._denorm(model.projection(h), mean, std),
                              model(*args, **kw), atol=1e-6)
    return out


def save(path, t):
    np.save(path, t.detach().cpu().numpy().astype(np.float32))


def losses(cfg, outputs, inputs):
    res = {}
    task = cfg.task_name
    if task == "long_term_forecast":
        out, seq = outputs
        whole, inp, pred = tw.top_losses(seq, cfg.seq_len, cfg.pred_len)
        res.update(top_whole=whole.item(), top_input=inp.item(), top_pred=pred.item(),
                   mse=F.mse_loss(out, inputs["target"]).item(),
                   task_loss=tw.task_loss(cfg, out, inputs["target"], seq).item(),
                   formula="mse(out, target) + 0.001 * top_pred")
    elif task == "imputation":
        out, seq = outputs
        whole, inp = tw.top_losses_impt(seq, cfg.seq_len)
        m = inputs["mask"]
        res.update(top_whole=whole.item(), top_input=inp.item(),
                   mse_masked=F.mse_loss(out[m == 0], inputs["target"][m == 0]).item(),
                   task_loss=tw.task_loss(cfg, out, inputs["target"], seq, mask=m).item(),
                   formula="mse(out[mask==0], target[mask==0]) + 0.001 * top_input")
    elif task == "anomaly_detection":
        res.update(task_loss=F.mse_loss(outputs, inputs["x_enc"]).item(),
                   formula="mse(out, x_enc) (no TOP term)")
    else:
        res.update(task_loss=F.cross_entropy(outputs, inputs["target"].long()).item(),
                   formula="cross_entropy(out, target) (no TOP term)")
    return res


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    manifest = {"batch": B, "dtype": "float32", "cases": {}}
    for idx, (name, over) in enumerate(CASES):
        cfg = tw.SpecARConfig.from_kwargs(**{**BASE, **over})
        cdir = os.path.join(outdir, name)
        os.makedirs(cdir, exist_ok=True)
        torch.manual_seed(2021 + idx)
        model = tw.SpecARNet(cfg).eval()
        gen = torch.Generator().manual_seed(100 + idx)
        inputs, args, kw = make_inputs(cfg, gen)
        with torch.no_grad():
            outputs = model(*args, **kw)
        files = {}
        for k, v in inputs.items():
            save(os.path.join(cdir, k + ".npy"), v)
            files[k] = f"{name}/{k}.npy"
        if isinstance(outputs, tuple):
            save(os.path.join(cdir, "out.npy"), outputs[0])
            save(os.path.join(cdir, "seq_series.npy"), outputs[1])
            files["out"], files["seq_series"] = f"{name}/out.npy", f"{name}/seq_series.npy"
        else:
            save(os.path.join(cdir, "out.npy"), outputs)
            files["out"] = f"{name}/out.npy"
        inter = intermediates(model, cfg, args, kw)
        for k, v in inter.items():
            save(os.path.join(cdir, k + ".npy"), v)
            files[k] = f"{name}/{k}.npy"
        sd = dict(model.state_dict())
        torch.save(sd, os.path.join(cdir, "state_dict.pt"))
        files["state_dict"] = f"{name}/state_dict.pt"
        loss = losses(cfg, outputs, inputs)
        with open(os.path.join(cdir, "losses.json"), "w") as f:
            json.dump(loss, f, indent=1)
        files["losses"] = f"{name}/losses.json"
        manifest["cases"][name] = {
            "config": cfg.as_dict(), "seed": 2021 + idx, "eval": True,
            "forward_args": {"x_enc": "x_enc", "x_mark_enc": (
                "padding_mask" if cfg.task_name == "classification" else
                "x_mark_enc" if "x_mark_enc" in inputs else None),
                "x_dec": "x_dec" if "x_dec" in inputs else None,
                "x_mark_dec": "x_mark_dec" if "x_mark_dec" in inputs else None,
                "mask": "mask" if "mask" in inputs else None},
            "files": files,
            "shapes": {k: list(v.shape) for k, v in
                       [*inputs.items(), *inter.items()]},
            "losses": loss,
            "parameters": tw.count_parameters(model),
            "state_dict": [{"name": k, "shape": list(v.shape),
                            "sum": float(v.double().sum())} for k, v in sd.items()],
        }
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1)

    # TOP loss on a fixed series (seq_len 6, pred_len 4)
    t = torch.arange(10, dtype=torch.float32)
    q = torch.stack([0.5 + 0.1 * t + 0.05 * torch.sin(t), 2.0 - 0.1 * t + 0.02 * t * t])
    whole, inp, pred = tw.top_losses(q, 6, 4)
    with open(os.path.join(outdir, "top_fixed.json"), "w") as f:
        json.dump({"seq_series": q.tolist(), "seq_len": 6, "pred_len": 4,
                   "top_whole": whole.item(), "top_input": inp.item(),
                   "top_pred": pred.item()}, f, indent=1)

    counts = tw.paper_counts()
    for name, r in counts.items():
        assert r["total"] == r["expected_total"], (name, r["total"], r["expected_total"])
    with open(os.path.join(outdir, "param_counts.json"), "w") as f:
        json.dump(counts, f, indent=1)
    print(f"wrote SpecAR-Net golden files ({len(CASES)} cases) to {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
