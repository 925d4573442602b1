#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Real signals that ship with Debian packages, for examples and demos."""

import os

import numpy as np

#: Sample rate of scipy_ecg(), Hz.
SCIPY_ECG_RATE = 360.0


def scipy_ecg():
    """MIT-BIH Arrhythmia Database record 208 (MLII), 5 minutes at 360 Hz, in mV.

    The excerpt ships with Debian's python3-scipy as scipy/misc/ecg.dat (the
    data of scipy.misc.electrocardiogram); record 208 is rich in PVCs. Read
    directly so no deprecated scipy API is involved. Returns float32 (108000,).
    """
    import scipy
    path = os.path.join(os.path.dirname(scipy.__file__), "misc", "ecg.dat")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"expected the MIT-BIH excerpt at {path} (Debian package python3-scipy), "
            "found nothing")
    with np.load(path) as f:
        raw = f["ecg"].astype(np.int64)
    # ADC units to mV: (x - adc_zero) / gain, as the record header gives.
    return ((raw - 1024) / 200.0).astype(np.float32)
