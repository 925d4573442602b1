#!/usr/bin/python3
"""Write the TRLS golden files for the C++/LibTorch port (MODELS.md section 3).

augment/   torchvision 0.14's functional ops on one fixed spectrogram image (1, F, T),
           float32 in [0, 1]: adjust_brightness, adjust_contrast, gaussian_blur, hflip
           (case name -> file in augment/cases.json). The image is the TRLS front end of a
           fixed two-tone signal with noise.
front/     the front end (torch.stft magnitude, log1p, per-sample min-max) of x (3, 2, 64)
           with n_fft 16 (hop 4): x.npy, img.npy.
<case>/    the twin (tests/reference/trls_twin.py) at a small size, one case per sequence
           model, multichannel mode and frequency-path norm: state_dict.pt of TrlsClassifier (eval mode) with
           img.npy -> emb.npy, logits.npy; trls_state_dict.pt of Trls (dropout 0, train mode)
           with v1.npy, v2.npy -> losses.json {"loss", "loss_negatives"}.
cases.json lists every case with its configuration and parameter counts.
Usage: gen_trls_golden.py OUTDIR
"""
import json
import math
import os
import sys

try:
    import numpy as np
    import torch
    import torchvision.transforms.functional as TF
except ImportError as e:
    print(f"TRLS golden generator needs python3-numpy, python3-torch and "
          f"python3-torchvision: {e}")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import trls_twin as tw  # noqa: E402

torch.set_num_threads(1)


def save(path, t):
    np.save(path, t.detach().cpu().numpy().astype(np.float32))


def signal(gen, n, c, length, rate=64.0):
    t = torch.arange(length, dtype=torch.float64) / rate
    out = torch.zeros(n, c, length, dtype=torch.float64)
    for i in range(n):
        for k in range(c):
            f1, f2 = 3.0 + 2 * i + k, 11.0 + 3 * k
            out[i, k] = (torch.sin(2 * math.pi * f1 * t) + 0.5 * torch.sin(2 * math.pi * f2 * t)
                         + 0.2 * torch.randn(length, generator=gen, dtype=torch.float64))
    return out.float()


def main(out):
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(2024)

    # Augmentations on one image (1, F, T).
    acfg = tw.TrlsConfig(channels=1, length=178, n_fft=32)
    img = tw.spectrogram(signal(gen, 1, 1, 178, 173.61), acfg)  # (1, 17, 23)
    adir = os.path.join(out, "augment")
    os.makedirs(adir, exist_ok=True)
    save(os.path.join(adir, "img.npy"), img)
    ops = {
        "brightness_1.3": ("brightness", 1.3, TF.adjust_brightness(img, 1.3)),
        "brightness_0.6": ("brightness", 0.6, TF.adjust_brightness(img, 0.6)),
        "contrast_0.7": ("contrast", 0.7, TF.adjust_contrast(img, 0.7)),
        "contrast_1.35": ("contrast", 1.35, TF.adjust_contrast(img, 1.35)),
        "blur_3_0.8": ("blur", [3, 0.8], TF.gaussian_blur(img, [3, 3], [0.8, 0.8])),
        "blur_5_1.7": ("blur", [5, 1.7], TF.gaussian_blur(img, [5, 5], [1.7, 1.7])),
        "hflip": ("flip", 0, TF.hflip(img)),
    }
    acases = {}
    for name, (op, arg, y) in ops.items():
        save(os.path.join(adir, name + ".npy"), y)
        acases[name] = {"op": op, "arg": arg, "file": name + ".npy"}
    with open(os.path.join(adir, "cases.json"), "w") as f:
        json.dump(acases, f, indent=1)

    # Front end.
    fcfg = tw.TrlsConfig(channels=2, length=64, n_fft=16)
    x = signal(gen, 3, 2, 64)
    fdir = os.path.join(out, "front")
    os.makedirs(fdir, exist_ok=True)
    save(os.path.join(fdir, "x.npy"), x)
    save(os.path.join(fdir, "img.npy"), tw.spectrogram(x, fcfg))
    dcfg = tw.TrlsConfig(channels=2, length=64, n_fft=16, image_norm="dataset", image_lo=0.5,
                         image_hi=2.5)
    save(os.path.join(fdir, "img_dataset.npy"), tw.spectrogram(x, dcfg))

    # Networks.
    base = dict(channels=2, length=64, n_fft=16, hidden=8, blocks=2, f_h=6, scales=3,
                proj_hidden=16, proj_out=8, num_class=3)
    cases = {}
    for name, extra in [("lstm", dict(rnn="lstm")), ("gru", dict(rnn="gru")),
                        ("rnn", dict(rnn="rnn")), ("tcn", dict(rnn="tcn")),
                        ("lstm_features", dict(rnn="lstm", multichannel="features")),
                        ("lstm_time", dict(rnn="lstm", freq_norm="time")),
                        ("lstm_features_time", dict(rnn="lstm", multichannel="features",
                                                    freq_norm="time"))]:
        cfg = tw.TrlsConfig(**base, **extra)
        torch.manual_seed(7)
        clf = tw.TrlsClassifier(cfg).eval()
        cdir = os.path.join(out, name)
        os.makedirs(cdir, exist_ok=True)
        x = signal(gen, 4, 2, 64)
        img = tw.spectrogram(x, cfg)
        with torch.no_grad():
            save(os.path.join(cdir, "img.npy"), img)
            save(os.path.join(cdir, "emb.npy"), clf.embed(img))
            save(os.path.join(cdir, "logits.npy"), clf(img))
        torch.save(dict(clf.state_dict()), os.path.join(cdir, "state_dict.pt"))
        pcfg = tw.TrlsConfig(**dict(base, dropout=0.0), **extra)
        torch.manual_seed(8)
        trls = tw.Trls(pcfg).train()
        # Make the target differ from the online network, as after some steps.
        with torch.no_grad():
            for p in trls.target_encoder.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=gen))
        v1 = img
        v2 = TF.hflip(TF.gaussian_blur(img, [3, 3], [1.0, 1.0]))
        save(os.path.join(cdir, "v1.npy"), v1)
        save(os.path.join(cdir, "v2.npy"), v2)
        torch.save(dict(trls.state_dict()), os.path.join(cdir, "trls_state_dict.pt"))
        with torch.no_grad():
            losses = {"loss": trls.loss(v1, v2).item(),
                      "loss_negatives": trls.loss(v1, v2, negatives=0.5).item()}
        with open(os.path.join(cdir, "losses.json"), "w") as f:
            json.dump(losses, f, indent=1)
        cases[name] = {"config": cfg.as_dict(),
                       "classifier_parameters": tw.count_parameters(clf),
                       "trls_parameters": tw.count_parameters(trls)}
    epi = tw.TrlsConfig(num_class=2)
    cases["_epilepsy_default"] = {"config": epi.as_dict(),
                                  "classifier_parameters":
                                      tw.count_parameters(tw.TrlsClassifier(epi)),
                                  "trls_parameters": tw.count_parameters(tw.Trls(epi))}
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(f"wrote TRLS golden files to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1])
