#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Compile an example .grc with grcc and run it headless, bounded by `nsamples`.

Usage: run_example.py FLOWGRAPH.grc OUTDIR [NSAMPLES]

The flowgraph's `nsamples` parameter (a head block's count, or a source's
length) is set small so
the run ends by itself; a Qt GUI flowgraph runs with QT_QPA_PLATFORM=offscreen.
An `outfile` parameter is pointed into OUTDIR and the file is checked to hold
whole output items. A `data_dir` parameter is pointed at $TFMED_DATA_DIR
(skipped, exit 77, without it). A `record` parameter is pointed at MIT-BIH record 100 in
$TFMED_DATA_DIR (../shared/data); without that folder the test is skipped
(exit 77).
"""
import importlib.util
import inspect
import os
import subprocess
import sys
import time


def main():
    grc, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(grc))[0]
    res = subprocess.run(["grcc", "-o", outdir, grc], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"grcc failed on {grc}:\n{res.stdout}\n{res.stderr}")
    path = os.path.join(outdir, stem + ".py")
    spec = importlib.util.spec_from_file_location(stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    from gnuradio import gr
    cls = [c for _, c in inspect.getmembers(mod, inspect.isclass)
           if issubclass(c, gr.top_block) and c.__module__ == stem][0]
    params = inspect.signature(cls.__init__).parameters
    # Every parameter of the graph is an option of its generated script
    # (GRC drops a parameter block of an unknown type from the command line
    # without a word: `type: real` made `-s/--speed` an unknown option).
    if hasattr(mod, "argument_parser"):
        options = mod.argument_parser().parse_args([])
        missing = [n for n in params if n != "self" and not hasattr(options, n)]
        if missing:
            sys.exit(f"{grc}: parameter(s) {', '.join(missing)} are not options of the "
                     "generated script (a parameter block without a valid type?)")
    if "nsamples" not in params:
        sys.exit(f"{grc}: expected an 'nsamples' parameter that bounds the run")
    kwargs = {"nsamples": int(sys.argv[3]) if len(sys.argv) > 3 else 720}
    if "record" in params:
        data = os.environ.get("TFMED_DATA_DIR", "../shared/data")
        record = os.path.join(data, "wfdb_sample", "100")
        if not os.path.exists(record + ".hea"):
            print(f"SKIP {stem}: needs {record}.hea (the shared data sets are not here)")
            sys.exit(77)
        kwargs["record"] = record
    if "data_dir" in params:
        data = os.environ.get("TFMED_DATA_DIR", "../shared/data")
        if not os.path.isdir(data):
            print(f"SKIP {stem}: needs the shared data folder {data} (not on this machine)")
            sys.exit(77)
        kwargs["data_dir"] = data
    outfile = os.path.join(outdir, stem + ".out")
    if "outfile" in params:
        kwargs["outfile"] = outfile

    app = None
    if "Qt" in open(path).read():
        from PyQt5 import Qt
        app = Qt.QApplication.instance() or Qt.QApplication([stem])
    tb = cls(**kwargs)
    t0 = time.time()
    tb.start()
    tb.wait()
    tb.stop()
    print(f"{stem}: ran {kwargs['nsamples']} samples in {time.time() - t0:.2f} s")
    if "outfile" in params:
        size = os.path.getsize(outfile)
        print(f"{stem}: wrote {size} bytes to {outfile}")
        if size == 0:
            sys.exit(f"{stem}: the output file is empty")
    if app is not None:
        tb.close() if hasattr(tb, "close") else None


if __name__ == "__main__":
    main()
