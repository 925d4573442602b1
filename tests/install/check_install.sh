#!/usr/bin/env bash
# Install into a staging prefix and use it the way a user would:
#   - /usr/bin/python3 imports gnuradio.tfmed from the installed tree and runs a block;
#   - GRC finds the installed block YAML (grcc compiles an example against it);
#   - a separate CMake project finds gnuradio-tfmed and links its targets;
#   - the installed tfmed tool runs.
# Usage: check_install.sh SOURCE_DIR PROJECT_BUILD_DIR WORK_DIR
set -euo pipefail
src=$1 project_build=$2 build=$3
stage=$build/stage
rm -rf "$stage" "$build/consumer"
mkdir -p "$build"
cmake --install "$project_build" --prefix "$stage" > "$build/install.log"
pydir=$(cd "$stage" && ls -d lib/python3*/dist-packages lib/python3*/site-packages 2>/dev/null | head -1 || true)
test -n "$pydir" || { echo "no Python package directory under $stage/lib"; exit 1; }
cd "$build"
env -u PYTHONPATH PYTHONPATH="$stage/$pydir" /usr/bin/python3 -c "
from gnuradio import tfmed, gr, blocks
import gnuradio.tfmed as m
assert m.__file__.startswith('$stage'), m.__file__
b = tfmed.stft(1, 125, 63)
tb = gr.top_block(); snk = blocks.vector_sink_f(63)
tb.connect(blocks.vector_source_f([0.5] * 4800), b, snk); tb.run()
assert len(snk.data()) == 76 * 63, len(snk.data())
print('python: from gnuradio import tfmed ->', m.__file__)
"
test -f "$stage/share/gnuradio/grc/blocks/tfmed_stft.block.yml"
test -f "$stage/share/gnuradio/grc/blocks/tfmed_tsrnet_scorer.block.yml"
test -f "$stage/share/gnuradio/grc/blocks/tfmed_trainer_sink.block.yml"
test -f "$stage/share/gnuradio/grc/blocks/tfmed_annotation_labeler.block.yml"
test -f "$stage/share/gr-tfmed/models/tsrnet_demo_mitdb.tfm"
# No TFMED_MODEL_DIR: the module finds the models of its own install (the
# staged prefix is not the configured one).
env -u PYTHONPATH -u TFMED_MODEL_DIR PYTHONPATH="$stage/$pydir" \
  /usr/bin/python3 -c "
from gnuradio import tfmed
p = tfmed.demo_model()
assert p.startswith('$stage'), p
b = tfmed.tsrnet_scorer(p, 1, 500.0, 2500, 'cpu')
print('python: tsrnet_scorer with the installed demo model, window', b.window())
t = tfmed.trainer_sink('tsrnet', '/tmp/tfmed_install_check.tfm', 1, 500.0, 5000, 5000)
l = tfmed.annotation_labeler(1, 'N')
print('python: trainer_sink', t.state(), '/ annotation_labeler', l.normal_labels())
"
env -u PYTHONPATH PYTHONPATH="$stage/$pydir" GRC_BLOCKS_PATH="$stage/share/gnuradio/grc/blocks" \
  grcc -o "$build/consumer-grc" "$src/examples/ecg_stft_headless.grc" > /dev/null
env -u PYTHONPATH PYTHONPATH="$stage/$pydir" GRC_BLOCKS_PATH="$stage/share/gnuradio/grc/blocks" \
  grcc -o "$build/consumer-grc" "$src/examples/ecg_anomaly_headless.grc" > /dev/null
env -u PYTHONPATH PYTHONPATH="$stage/$pydir" GRC_BLOCKS_PATH="$stage/share/gnuradio/grc/blocks" \
  grcc -o "$build/consumer-grc" "$src/examples/train_tsrnet_headless.grc" > /dev/null
echo "grc: installed YAML compiles examples/ecg_stft_headless.grc"
cmake -S "$src/tests/install/consumer" -B "$build/consumer" \
  -DCMAKE_PREFIX_PATH="$stage" > "$build/consumer.log"
cmake --build "$build/consumer" >> "$build/consumer.log"
"$build/consumer/consumer"
"$stage/bin/tfmed" --version
