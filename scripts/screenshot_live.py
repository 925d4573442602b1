#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Picture of a live example graph: compile the .grc with grcc, run it with
its Qt window for SECONDS, then save the window as a PNG.

Usage: scripts/screenshot_live.py FLOWGRAPH.grc OUT.png [SECONDS] [KEY=VALUE ...]

Needs a display: a desktop, or a virtual one (`xvfb-run -s "-screen 0
1600x1000x24" scripts/screenshot_live.py ...`); Qt's offscreen platform
draws no plot canvases. `data_dir` and `record` parameters are pointed at
$TFMED_DATA_DIR (../shared/data) as the tests do; KEY=VALUE sets any other
parameter (numbers as numbers); size=WxH sets the window (default 1000x560).
"""
import inspect
import os
import sys
import tempfile


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    grc, png = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    extra = {}
    for kv in sys.argv[4:]:
        k, _, v = kv.partition("=")
        try:
            extra[k] = int(v)
        except ValueError:
            try:
                extra[k] = float(v)
            except ValueError:
                extra[k] = v
    # The one grcc + import helper of the example tests.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "python"))
    from run_train_pair import load
    cls = load(grc, tempfile.mkdtemp(prefix="tfmed-shot-"))
    stem = cls.__module__
    from PyQt5 import Qt
    params = inspect.signature(cls.__init__).parameters
    data = os.environ.get("TFMED_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "..",
                                                           "shared", "data"))
    kwargs = {}
    if "data_dir" in params:
        kwargs["data_dir"] = data
    if "record" in params:
        kwargs["record"] = os.path.join(data, "wfdb_sample", "100")
    size = str(extra.pop("size", "1000x560")).split("x")  # size=WxH: the window
    kwargs.update(extra)
    app = Qt.QApplication.instance() or Qt.QApplication([stem])
    tb = cls(**kwargs)
    tb.start()
    tb.resize(int(size[0]), int(size[1]))
    tb.show()

    def shoot():
        tb.grab().save(png)
        print(f"wrote {png} after {seconds:g} s of {stem}")
        tb.stop()
        tb.wait()
        app.quit()

    Qt.QTimer.singleShot(int(seconds * 1000), shoot)
    app.exec_()


if __name__ == "__main__":
    main()
