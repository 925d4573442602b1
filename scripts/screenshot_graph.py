#!/usr/bin/python3
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a Qt example graph offscreen for a while and save its window as PNG
(the README's pictures of live graphs).

Usage: scripts/screenshot_graph.py FLOWGRAPH.grc OUT.png SECONDS [name=value ...]
Needs the build's Python package (PYTHONPATH=build/python) and
GRC_BLOCKS_PATH=grc; QT_QPA_PLATFORM=offscreen is set here.
"""
import importlib.util
import inspect
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main():
    grc, png, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    kwargs = {}
    for a in sys.argv[4:]:
        k, v = a.split("=", 1)
        kwargs[k] = int(v) if v.lstrip("-").isdigit() else v
    out = tempfile.mkdtemp(prefix="tfmed_shot_")
    subprocess.run(["grcc", "-o", out, grc], check=True, capture_output=True)
    stem = os.path.splitext(os.path.basename(grc))[0]
    spec = importlib.util.spec_from_file_location(stem, os.path.join(out, stem + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from gnuradio import gr
    from PyQt5 import Qt
    app = Qt.QApplication.instance() or Qt.QApplication([stem])
    cls = [c for _, c in inspect.getmembers(mod, inspect.isclass)
           if issubclass(c, gr.top_block) and c.__module__ == stem][0]
    tb = cls(**kwargs)
    tb.resize(1000, 420)
    tb.start()
    tb.show()
    t0 = time.time()
    while time.time() - t0 < seconds:
        app.processEvents()
        time.sleep(0.02)
    tb.grab().save(png)
    tb.stop()
    tb.wait()
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
