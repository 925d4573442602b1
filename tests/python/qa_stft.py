#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""QA for tfmed.stft from Python, against scipy.signal.stft and torch.stft."""

import numpy as np
import pmt
import scipy.signal
from gnuradio import blocks, gr, gr_unittest

from gnuradio import tfmed


def ecg_record_208(n, start=0):
    """The MIT-BIH excerpt inside Debian's python3-scipy (360 Hz, mV)."""
    import os
    import scipy
    raw = np.load(os.path.join(os.path.dirname(scipy.__file__), "misc", "ecg.dat"))
    return ((raw["ecg"].astype(np.float64) - 1024.0) / 200.0)[start:start + n]


class qa_stft(gr_unittest.TestCase):

    def setUp(self):
        self.tb = gr.top_block()

    def tearDown(self):
        self.tb = None

    def run_block(self, x, blk, channels=1, dtype="f"):
        src = blocks.vector_source_f(np.asarray(x, np.float32).ravel().tolist(), False,
                                     channels)
        vlen = channels * blk.bins()
        snk = blocks.vector_sink_c(vlen) if dtype == "c" else blocks.vector_sink_f(vlen)
        self.tb.connect(src, blk, snk)
        self.tb.run()
        return np.array(snk.data()).reshape(-1, channels, blk.bins()), snk.tags()

    def test_001_tsrnet_spectrogram_matches_scipy(self):
        x = ecg_record_208(4800, start=3600)
        blk = tfmed.stft(1, 125, 63, output="magnitude")
        y, _ = self.run_block(x, blk)
        _, _, z = scipy.signal.stft(x, window="hann", nperseg=125)
        ref = np.abs(z).T  # (78, 63)
        self.assertEqual(ref.shape, (78, 63))
        self.assertEqual(y.shape, (76, 1, 63))  # the 2 end-boundary frames need EOF
        np.testing.assert_allclose(y[:, 0, :], ref[:76], rtol=1e-4, atol=2e-6 * ref.max())

    def test_002_specar_spectrogram_matches_torch(self):
        import torch
        rng = np.random.default_rng(1)
        x = rng.standard_normal(500).astype(np.float32)
        blk = tfmed.stft(1, 16, 1, convention="torch", normalized=True, onesided=False,
                         output="complex")
        y, _ = self.run_block(x, blk, dtype="c")
        z = torch.stft(torch.from_numpy(x.astype(np.float64)), 16, 1,
                       window=torch.hann_window(16, dtype=torch.float64), center=True,
                       pad_mode="reflect", normalized=True, onesided=False,
                       return_complex=True).numpy().T
        self.assertEqual(z.shape, (501, 16))
        self.assertEqual(y.shape, (493, 1, 16))  # frame k needs sample k + 7
        np.testing.assert_allclose(y[:, 0, :], z[:493], rtol=1e-4, atol=1e-5)

    def test_003_multichannel_log_power(self):
        x = np.stack([ecg_record_208(3000, s) for s in (0, 5000, 9000)], axis=1)  # (T, 3)
        blk = tfmed.stft(3, 64, 16, output="log_power", log_floor=1e-8)
        y, _ = self.run_block(x, blk, channels=3)
        for c in range(3):
            _, _, z = scipy.signal.stft(x[:, c], window="hann", nperseg=64, noverlap=48)
            ref = 10 * np.log10(np.maximum(np.abs(z) ** 2, 1e-8)).T
            n = y.shape[0]
            # float32 bins: compare the top 60 dB, where relative precision holds
            strong = ref[:n] > ref.max() - 60.0
            self.assertGreater(strong.mean(), 0.3)
            np.testing.assert_allclose(y[:, c, :][strong], ref[:n][strong], atol=2e-3)

    def test_004_tags_follow_their_samples(self):
        x = np.zeros(2000, np.float32)
        tags = [gr.tag_utils.python_to_tag((s, pmt.intern("annotation"),
                                            pmt.intern("V"), pmt.PMT_F))
                for s in (100, 700, 1500)]
        src = blocks.vector_source_f(x.tolist(), False, 1, tags)
        blk = tfmed.stft(1, 256, 64, convention="torch")
        snk = blocks.vector_sink_f(blk.bins())
        self.tb.connect(src, blk, snk)
        self.tb.run()
        got = [(t.offset, pmt.symbol_to_string(t.value)) for t in snk.tags()]
        # torch centre: frame k centred on 64 k, nearest centre wins
        self.assertEqual(got, [(2, "V"), (11, "V"), (23, "V")])

    def test_004b_a_second_run_is_a_new_stream(self):
        # tb.run() again (stop, wait, start): GNU Radio counts items from 0,
        # and the block starts over with them: the same frames and tags.
        x = np.random.RandomState(0).randn(1000).astype(np.float32)
        tag = gr.tag_utils.python_to_tag((500, pmt.intern("k"), pmt.PMT_T, pmt.PMT_F))
        blk = tfmed.stft(1, 64, 16, output="magnitude")
        src = blocks.vector_source_f(x.tolist(), False, 1, [tag])
        snk = blocks.vector_sink_f(blk.bins())
        self.tb.connect(src, blk, snk)
        self.tb.run()
        first = np.array(snk.data()).reshape(-1, blk.bins())
        first_tags = [t.offset for t in snk.tags()]
        self.assertEqual(first_tags, [31])  # frame centred nearest sample 500
        src.rewind()
        snk.reset()
        self.tb.run()
        np.testing.assert_array_equal(np.array(snk.data()).reshape(-1, blk.bins()), first)
        self.assertEqual([t.offset for t in snk.tags()], first_tags)

    def test_005_bad_parameters_raise_value_error(self):
        with self.assertRaisesRegex(ValueError, "'n_fft': expected > 0, found -1"):
            tfmed.stft(1, -1, 1)
        with self.assertRaisesRegex(ValueError, "'window': expected one of"):
            tfmed.stft(1, 64, 16, window="gauss")
        with self.assertRaisesRegex(ValueError, "'hop': expected <= win_length"):
            tfmed.stft(1, 64, 65)

    def test_006_runtime_setters(self):
        blk = tfmed.stft(1, 64, 16, output="power")
        blk.set_output("log_power")
        blk.set_log_floor(1e-6)
        blk.set_window("blackman")
        self.assertIn("window=blackman", blk.describe())
        self.assertIn("output=log_power", blk.describe())
        # settings() (bound since the README documents it): the text in use
        # and the first frame made with it (none computed yet: 0).
        self.assertEqual(blk.settings_changes(), 2)  # log_floor 1e-6 is the default
        text, first = blk.settings()
        self.assertEqual((text, first), (blk.describe(), 0))
        with self.assertRaisesRegex(ValueError, "log_floor"):
            blk.set_log_floor(1e-40)  # below the smallest normal float
        x = ecg_record_208(1000)
        y, _ = self.run_block(x, blk)
        self.assertGreaterEqual(y.min(), -60.0 - 1e-3)


if __name__ == "__main__":
    gr_unittest.run(qa_stft)
