#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""What the two trust checks share: their command line (TFMED DATA_DIR
OUT_DIR DEMO_MODEL), the checks, the output folder, and MIT-BIH segments
(the checks skip, exit 77, without them)."""
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_check import Checks  # noqa: E402

TFMED, DATA, OUT, DEMO = sys.argv[1:5]
C = Checks(TFMED, dict(os.environ))


def p(name):
    """A path in the output folder."""
    return os.path.join(OUT, name)


def start():
    """A fresh output folder holding six.npy (3 N and 3 V segments, 360 Hz
    rows); returns all MIT-BIH segments, or exits 77 without them."""
    x_path = os.path.join(DATA, "mitdb_compiled10s", "X_mV.npy")
    if not os.path.exists(x_path):
        print(f"SKIP: {DATA} lacks mitdb_compiled10s")
        sys.exit(77)
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    X = np.load(x_path)
    np.save(p("six.npy"), X[[0, 1, 2, 160, 161, 162]])
    return X
