#!/usr/bin/python3
"""Write the TSRNet preprocessing golden files used by
tests/core/test_model_tsrnet_pipeline.cc.

The reference pipeline (MODELS.md 1.1-1.2), written with SciPy as the TSRNet /
ECGAD code does it (HeartPy's filter_signal is scipy.signal.filtfilt with
default arguments):

  input      10 s of the MIT-BIH record 208 excerpt shipped with
             python3-scipy (leads: the trace and its negative, shifted),
             resampled 360 -> 500 Hz with resample_poly(25, 18): (5000, 2)
  filtered   filtfilt(butter(2, 1 Hz, high)), filtfilt(iirnotch(35, 0.005)),
             filtfilt(butter(2, 25 Hz, low)) per lead
  prepared   per-lead min-max to [-1, 1] over 5000 samples, crop [100, 4900)
  spec       |scipy.signal.stft(prepared lead, fs=500, window='hann',
             nperseg=125)| -> (63, 78, 2)

Also the filter coefficients (coeffs.json). Usage: gen_tsrnet_golden.py OUTDIR
"""
import json
import os
import sys

try:
    import numpy as np
    import scipy
    import scipy.signal as sig
except ImportError as e:
    print(f"TSRNet golden generator needs python3-numpy and python3-scipy: {e}")
    sys.exit(77)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
ecg = np.load(os.path.join(os.path.dirname(scipy.__file__), "misc", "ecg.dat"))["ecg"]
ecg = (ecg.astype(np.float64) - 1024.0) / 200.0
lead = ecg[36000:36000 + 3600 + 200]  # 10 s after 100 s, with room for the resampler
x500 = sig.resample_poly(lead, 25, 18)[:5000]
x = np.stack([x500, -0.5 * x500 + 0.3], axis=1).astype(np.float32)  # (5000, 2)

fs = 500.0
hp = sig.butter(2, 1.0 / (fs / 2), btype="high")
lp = sig.butter(2, 25.0 / (fs / 2), btype="low")
notch = sig.iirnotch(35.0, 0.005, fs=fs)
filtered = np.empty((5000, 2))
for c in range(2):
    v = x[:, c].astype(np.float64)
    v = sig.filtfilt(*hp, v)
    v = sig.filtfilt(*notch, v)
    v = sig.filtfilt(*lp, v)
    filtered[:, c] = v
norm = 2 * (filtered - filtered.min(0)) / (filtered.max(0) - filtered.min(0)) - 1
prepared = norm[100:4900].astype(np.float32)
spec = np.stack([np.abs(sig.stft(prepared[:, c], fs=fs, window="hann", nperseg=125)[2])
                 for c in range(2)], axis=-1).astype(np.float32)
assert spec.shape == (63, 78, 2), spec.shape

np.save(os.path.join(out, "input.npy"), x)
np.save(os.path.join(out, "filtered.npy"), filtered)
np.save(os.path.join(out, "prepared.npy"), prepared)
np.save(os.path.join(out, "spec.npy"), spec)
with open(os.path.join(out, "coeffs.json"), "w") as f:
    json.dump({"highpass": [list(hp[0]), list(hp[1])],
               "lowpass": [list(lp[0]), list(lp[1])],
               "notch": [list(notch[0]), list(notch[1])]}, f)
print(f"wrote TSRNet golden files to {out}")
