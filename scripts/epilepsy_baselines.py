#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Classical baselines on the TS-TCC Epilepsy task (seizure vs rest), for the
README's reading of TRLS's linear figure: how much of it the input alone
gives, with no encoder at all.

The windows are those of `tfmed eval trls --data epilepsy`: TS-TCC's min-max
per time index fitted on all 11,500 windows, and the same spectrogram image
as the encoder's input (n_fft 32, hop 8, Hann, centred, log1p of the
magnitude, min-max per window; `trls_twin.spectrogram`, which the C++ front
end is tested against). The split has TS-TCC's sizes (2,300 test, 1,840
validation, 7,360 train; numpy's permutation with seed 42, not our C++
permutation, so not the same windows as `--folds 1`). Each model is fitted on
the 7,360 training windows (features standardised with their statistics);
the SVM's C is chosen on the 1,840 validation windows; then each model is
scored once on the test windows.

Usage: epilepsy_baselines.py [DATA_DIR]   (default $TFMED_DATA_DIR or ../shared/data)
Needs python3-sklearn and python3-torch. Exit 77 when the data are absent.
About 20 s on 2 cores.
"""
import os
import sys

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
from trls_twin import TrlsConfig, spectrogram  # noqa: E402

data = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "TFMED_DATA_DIR", os.path.join(HERE, "..", "..", "shared", "data"))
folder = os.path.join(data, "bonn_eeg", "epilepsy178")
if not os.path.exists(os.path.join(folder, "X_int16.npy")):
    print(f"SKIP: {folder}/X_int16.npy not found (the shared data sets are not on this machine)")
    sys.exit(77)
torch.set_num_threads(2)

x = np.load(os.path.join(folder, "X_int16.npy")).astype(np.float32)
y = (np.load(os.path.join(folder, "y_uci.npy")) == 1).astype(np.int64)
lo, hi = x.min(0), x.max(0)
x = (x - lo) / (hi - lo)  # TS-TCC: per time index, on every window
cfg = TrlsConfig()  # the encoder's front end for Epilepsy
img = spectrogram(torch.from_numpy(x).unsqueeze(1), cfg).reshape(len(x), -1).numpy()
perm = np.random.RandomState(42).permutation(len(x))
test, val, train = perm[:2300], perm[2300:2300 + 1840], perm[2300 + 1840:]
print(f"Epilepsy, seizure vs rest: {len(train)} training / {len(test)} test windows "
      f"({100 * y[test].mean():.1f} % seizure in test)")


def score(name, feats, make, grid=(None,)):
    """Fit on train (each value of `grid`, the best on validation), score on test."""
    s = StandardScaler().fit(feats[train])
    fits = [(m.fit(s.transform(feats[train]), y[train]), g) for g in grid for m in [make(g)]]
    model, g = max(fits, key=lambda mg: mg[0].score(s.transform(feats[val]), y[val]))
    acc = 100 * model.score(s.transform(feats[test]), y[test])
    chosen = "" if g is None else f"  (C {g} on validation)"
    print(f"  {name:<56} {feats.shape[1]:>4} features  accuracy {acc:6.2f} %{chosen}")


def logistic(_):
    return LogisticRegression(max_iter=5000)


def svm(c):
    return SVC(C=c, gamma="scale")


shape = f"{cfg.bins} x {cfg.frames}"
score("logistic regression, scaled series", x, logistic)
score(f"logistic regression, spectrogram image ({shape})", img, logistic)
score(f"logistic regression, image averaged over time ({cfg.bins} bins)",
      img.reshape(len(x), cfg.bins, -1).mean(2), logistic)
score("RBF SVM, spectrogram image", img, svm, (1, 10, 100))
score("RBF SVM, scaled series", x, svm, (1, 10, 100))
