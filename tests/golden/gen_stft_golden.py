#!/usr/bin/python3
"""Write the STFT golden reference files used by tests/core/test_stft.cc.

Each case runs scipy.signal.stft or torch.stft (Debian's python3-scipy and
python3-torch) on a real signal (the MIT-BIH excerpt shipped inside scipy,
record 208, 360 Hz) or on seeded noise, and writes:

  <out>/<case>.input.npy   float32 (channels, samples)
  <out>/<case>.output.npy  complex64 (channels, bins, frames)
  <out>/manifest.json      the options of every case, in tfmed's vocabulary

Usage: gen_stft_golden.py OUTDIR
"""
import json
import os
import sys

try:
    import numpy as np
    import scipy
    import scipy.signal
    import torch
except ImportError as e:  # CTest maps 77 to "skipped"; the C++ test says why too
    print(f"STFT golden generator needs python3-numpy, python3-scipy and "
          f"python3-torch: {e}")
    sys.exit(77)

# The MIT-BIH record 208 excerpt that ships with Debian's python3-scipy (360 Hz, mV).
ECG = np.load(os.path.join(os.path.dirname(scipy.__file__), "misc", "ecg.dat"))
ECG = (ECG["ecg"].astype(np.float64) - 1024.0) / 200.0


def ecg(n, channels=1, start=1000):
    rows = [ECG[start + 7919 * c:start + 7919 * c + n] for c in range(channels)]
    return np.stack(rows).astype(np.float32)


def noise(n, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((channels, n)).astype(np.float32)


def scipy_window(name, length, periodic):
    spec = {"hann": "hann", "hamming": "hamming", "blackman": "blackman",
            "rectangle": "boxcar"}[name]
    return scipy.signal.get_window(spec, length, fftbins=periodic)


def run_scipy(x, o):
    win = o["win_length"] or o["n_fft"]
    w = scipy_window(o["window"], win, o["periodic"])
    _, _, z = scipy.signal.stft(
        x.astype(np.float64), window=w, nperseg=win, noverlap=win - o["hop"],
        nfft=o["n_fft"], return_onesided=o["onesided"],
        boundary="zeros" if o["center"] else None, padded=True,
        scaling="spectrum", axis=-1)
    return z


def torch_window(name, length, periodic):
    if name == "hann":
        return torch.hann_window(length, periodic=periodic, dtype=torch.float64)
    if name == "hamming":
        return torch.hamming_window(length, periodic=periodic, dtype=torch.float64)
    if name == "blackman":
        return torch.blackman_window(length, periodic=periodic, dtype=torch.float64)
    return torch.ones(length, dtype=torch.float64)


def run_torch(x, o):
    win = o["win_length"] or o["n_fft"]
    w = torch_window(o["window"], win, o["periodic"])
    z = torch.stft(torch.from_numpy(x.astype(np.float64)), n_fft=o["n_fft"],
                   hop_length=o["hop"], win_length=win, window=w,
                   center=o["center"],
                   pad_mode="reflect" if o["pad_mode"] == "reflect" else "constant",
                   normalized=o["normalized"], onesided=o["onesided"],
                   return_complex=True)
    return z.numpy()


def case(name, x, convention, n_fft, hop, win_length=0, window="hann",
         periodic=True, center=True, pad_mode="reflect", normalized=False,
         onesided=True):
    return dict(name=name, x=x, convention=convention, n_fft=n_fft, hop=hop,
                win_length=win_length, window=window, periodic=periodic,
                center=center, pad_mode=pad_mode, normalized=normalized,
                onesided=onesided)


CASES = [
    # TSRNet (MODELS.md 1.2): nperseg 125 on a 4800-sample crop -> 63 x 78
    case("tsrnet_scipy_125_63", ecg(4800), "scipy", 125, 63),
    case("scipy_even_256_64", ecg(3000), "scipy", 256, 64),
    case("scipy_odd_15_hop1_hamming_sym", ecg(400), "scipy", 15, 1,
         window="hamming", periodic=False),
    case("scipy_64_win48_blackman_twosided", noise(1000, seed=1), "scipy", 64, 16,
         win_length=48, window="blackman", onesided=False),
    case("scipy_nocenter_32_10_rect", ecg(777), "scipy", 32, 10,
         window="rectangle", center=False),
    case("scipy_multichannel_64_32", ecg(1000, channels=3), "scipy", 64, 32),
    # SpecAR-Net (MODELS.md 2.1): hop 1, centre/reflect, normalized, two-sided
    case("torch_specar_16_hop1_twosided", noise(300, seed=2), "torch", 16, 1,
         normalized=True, onesided=False),
    case("torch_16_hop1_onesided", ecg(300), "torch", 16, 1, normalized=True),
    case("torch_256_64_win200_hamming", ecg(3000), "torch", 256, 64,
         win_length=200, window="hamming"),
    case("torch_nocenter_odd_33_7_blackman", noise(500, seed=3), "torch", 33, 7,
         window="blackman", center=False),
    case("torch_constant_pad_64_16", ecg(700), "torch", 64, 16, pad_mode="constant"),
    case("torch_multichannel_1024_256", noise(5000, channels=2, seed=4), "torch",
         1024, 256, normalized=True),
]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = []
    for c in CASES:
        x = c.pop("x")
        z = run_scipy(x, c) if c["convention"] == "scipy" else run_torch(x, c)
        np.save(os.path.join(out, c["name"] + ".input.npy"), np.ascontiguousarray(x))
        np.save(os.path.join(out, c["name"] + ".output.npy"), np.ascontiguousarray(z.astype(np.complex64)))
        c["channels"], c["samples"] = x.shape
        c["bins"], c["frames"] = z.shape[1], z.shape[2]
        manifest.append(c)
    tmp = os.path.join(out, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, os.path.join(out, "manifest.json"))
    print(f"wrote {len(manifest)} STFT golden cases to {out}")


if __name__ == "__main__":
    main()
