#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""gr-tfmed: spectrogram deep learning for medical and sensor streams.

Blocks: stft (streaming STFT matching scipy.signal.stft / torch.stft).
"""
# No try/except here: a broken extension must fail loudly, not make the
# module vanish (STYLE.md pitfall 4).
from .tfmed_python import *  # noqa: F401,F403

from .demo_signals import SCIPY_ECG_RATE, scipy_ecg  # noqa: F401

__version__ = "@TFMED_VERSION@"
