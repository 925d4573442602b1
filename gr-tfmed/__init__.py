#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""gr-tfmed: spectrogram deep learning for medical and sensor streams.

Blocks: stft (streaming STFT matching scipy.signal.stft / torch.stft),
wfdb_source / edf_source / table_source (recording and table replay),
annotation_labeler (annotations as labels), tsrnet_scorer (ECG anomaly
scores and alarms), specar (SpecAR-Net: anomaly energy, forecasts,
imputation, classification), spec_augment (TRLS views), tfrnn_encoder
(TRLS embeddings and classes), trainer_sink (training from a flowgraph).
"""
import os as _os
# No try/except here: a broken extension must fail loudly, not make the
# module vanish (GNU Radio OOT modules that wrap the import in try/except
# turn a missing symbol into "no attribute tfmed" far from its cause).
from .tfmed_python import *  # noqa: F401,F403

from .demo_signals import SCIPY_ECG_RATE, scipy_ecg  # noqa: F401

__version__ = "@TFMED_VERSION@"

# Where the models are, as CMake configured this copy (';'-separated). In the
# build tree: the source tree's models (not an older install's). Installed:
# the share folder found from this file (the relative path from the module's
# install folder), so that an install made with `cmake --install --prefix`
# elsewhere, or moved, finds its own models; then the configured prefix.
_MODEL_DIRS = tuple(
    _os.path.normpath(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), d))
    for d in "@TFMED_PY_MODEL_DIRS@".split(";") if d)


def demo_model(name="tsrnet_demo_mitdb.tfm"):
    """Path of a model file shipped with gr-tfmed (default: the small TSRNet
    demo model, 1 lead at 500 Hz, trained on normal MIT-BIH segments).

    $TFMED_MODEL_DIR is searched first; then, for an installed module, the
    share folder of the install it belongs to and the configured prefix's,
    or, in the build tree, the source tree's models/. Raises
    FileNotFoundError naming the places searched."""
    dirs = [d for d in (_os.environ.get("TFMED_MODEL_DIR"),) if d] + list(_MODEL_DIRS)
    for d in dirs:
        p = _os.path.join(d, name)
        if _os.path.exists(p):
            return p
    raise FileNotFoundError(f"expected the model file {name} in one of {dirs}, found none")
