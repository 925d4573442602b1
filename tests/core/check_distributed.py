#!/usr/bin/env python3
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Data-parallel training on localhost (tfmed/train/distributed.h).

  check_distributed.py DIST_WORKER TFMED DATA_DIR OUT_DIR

1. World sizes 2 and 3 (per-rank batch B/W, uneven shards in the last batch)
   end with the weights of world size 1 with batch B, within 2e-6 (float32
   sums in another order; stated, not bit for bit).
2. A worker killed mid-run (SIGKILL in epoch 2): its peer exits non-zero
   with an error naming the rank, the collective and the timeout, long
   before the timeout; the checkpoint of epoch 1 survives, and resuming it
   with ONE worker ends with the uninterrupted run's weights.
3. A worker that stops answering (SIGSTOP): its peer gives up with the
   stated error after the timeout (4 s here), not later than timeout + 30 s.
4. Launch errors: malformed RANK, --nproc inside a torchrun world.
5. `tfmed train specar --nproc 2` on JapaneseVowels (skipped without
   ../shared/data): completes, rank 0 alone reports and writes the model,
   and the epoch losses equal --nproc 1's to 1e-4 (not closer: Adam turns
   the rounding noise of gradients that are zero by construction, e.g. a
   bias before a LayerNorm, into steps of up to lr).
6. `tfmed bench train --nproc 1,2` reports its rows.
"""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

WORKER, TFMED, DATA, OUT = sys.argv[1:5]
shutil.rmtree(OUT, ignore_errors=True)  # no file of an earlier run can pass a check
os.makedirs(OUT)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def world(n, args, timeout_s=30, wait=True):
    """Start n workers of dist_worker with torchrun's environment (args: a
    list, or a function of the rank giving one)."""
    port = free_port()
    procs = []
    for r in range(n):
        rank_args = args(r) if callable(args) else args
        env = dict(os.environ, RANK=str(r), WORLD_SIZE=str(n), LOCAL_RANK=str(r),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                   TFMED_DIST_TIMEOUT=str(timeout_s))
        procs.append(subprocess.Popen([WORKER] + rank_args, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    return procs


def finish(procs, limit=300):
    res = []
    for p in procs:
        try:
            o, e = p.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            p.kill()
            o, e = p.communicate()
            e += "\n(killed by the test after %d s)" % limit
        res.append((p.returncode, o, e))
    return res


def weights(path):
    w = {}
    with open(path) as f:
        for line in f:
            k, *v = line.split(" ", 1)
            if k != "history":
                w[k] = [float(x) for x in v[0].split()]
    return w


def max_diff(a, b):
    return max(max(abs(x - y) for x, y in zip(a[k], b[k])) for k in a)


# 1. equivalence ---------------------------------------------------------
ref = os.path.join(OUT, "w1.txt")
rc = subprocess.run([WORKER, "--out", ref, "--batch", "8", "--epochs", "3"],
                    capture_output=True, text=True)
check(rc.returncode == 0, "world size 1 trains (%s)" % rc.stderr.strip()[-200:])
w1 = weights(ref)
check(len(w1) == 4 and sum(len(v) for v in w1.values()) == 6 * 12 + 12 + 12 * 3 + 3,
      "the regression network has 123 parameters")
for n in (2, 3):
    path = os.path.join(OUT, "w%d.txt" % n)
    res = finish(world(n, ["--out", path, "--batch", "8", "--epochs", "3"]))
    check(all(r[0] == 0 for r in res), "world size %d trains (%s)" % (
        n, " | ".join(r[2].strip()[-200:] for r in res)))
    if os.path.exists(path):
        d = max_diff(w1, weights(path))
        check(d < 2e-6, "world size %d, per-rank batch 8/%d: weights equal world size 1, "
              "batch 8 after 9 steps (max |diff| %.2e < 2e-6)" % (n, n, d))
# Batch 7 of 22: 7, 7, 7, 1, so at world size 3 the shards are 3/2/2 and then
# 1/0/0: two ranks hold no example in the last step of each epoch (their
# gradients enter the all-reduce as zeros, their shares as 0). A sum where a
# mean belongs, or a share counted per rank instead of per example, moves
# these steps (Adam cancels only a uniform scale, and the shares differ).
ref7 = os.path.join(OUT, "w1b7.txt")
rc = subprocess.run([WORKER, "--out", ref7, "--batch", "7", "--epochs", "3"],
                    capture_output=True, text=True)
check(rc.returncode == 0, "world size 1, batch 7 trains (%s)" % rc.stderr.strip()[-200:])
path = os.path.join(OUT, "w3b7.txt")
res = finish(world(3, ["--out", path, "--batch", "7", "--epochs", "3"]))
check(all(r[0] == 0 for r in res), "world size 3, batch 7 trains (%s)" % (
    " | ".join(r[2].strip()[-200:] for r in res)))
if os.path.exists(path) and os.path.exists(ref7):
    d = max_diff(weights(ref7), weights(path))
    check(d < 2e-6, "world size 3, batch 7 (empty shards in each epoch's last step): weights "
          "equal world size 1 after 12 steps (max |diff| %.2e < 2e-6)" % d)

# 1b. ranks that disagree stop at the start, naming both sides -------------
res = finish(world(2, lambda r: ["--batch", "8", "--epochs", "1"] +
                   (["--hidden", "13"] if r == 1 else [])), limit=120)
check(all(r[0] == 3 for r in res), "a rank with another network: both stop (status %s)" %
      [r[0] for r in res])
e0 = res[0][2]
check("disagree on the training settings, the network or the data" in e0 and
      "rank 0 -> rank 1: network.fc1.bias [12] -> [13]" in e0,
      "rank 0 names rank 1's differing network: " + e0.strip()[-400:])
ck1, ck2 = (os.path.join(OUT, "c%d.ckpt" % e) for e in (1, 2))
for e, ck in ((1, ck1), (2, ck2)):
    subprocess.run([WORKER, "--batch", "8", "--epochs", "3", "--stop-after", str(e),
                    "--checkpoint", ck], capture_output=True, text=True)
check(os.path.exists(ck1) and os.path.exists(ck2), "checkpoints after 1 and 2 epochs")
# Node-local disks: rank 1 finds an older checkpoint than rank 0.
res = finish(world(2, lambda r: ["--batch", "8", "--epochs", "3", "--resume",
                                 "--checkpoint", ck2 if r == 0 else ck1]), limit=120)
e0 = res[0][2]
check(all(r[0] == 3 for r in res) and "disagree on the checkpoint they resume from" in e0 and
      "epochs_done 2 -> 1" in e0,
      "ranks resuming from different checkpoints stop (status %s): %s" % (
          [r[0] for r in res], e0.strip()[-300:]))
# Rank 1's disk has no checkpoint at all (only rank 0 writes them): both stop
# at once naming it, rank 0 does not wait out the timeout in a collective.
t0 = time.time()
res = finish(world(2, lambda r: ["--batch", "8", "--epochs", "3", "--resume", "--checkpoint",
                                 ck2 if r == 0 else os.path.join(OUT, "none.ckpt")],
                   timeout_s=60), limit=120)
e0 = res[0][2]
check(all(r[0] == 3 for r in res) and "resume: no checkpoint" in e0 and time.time() - t0 < 30,
      "a rank without the checkpoint: both stop, rank 0 naming rank 1's error, in %.1f s "
      "(status %s): %s" % (time.time() - t0, [r[0] for r in res], e0.strip()[-300:]))
res = finish(world(2, lambda r: ["--batch", "8", "--epochs", "3", "--checkpoint", ck2] +
                   (["--resume"] if r == 0 else [])), limit=120)
e1 = res[1][2]
check(all(r[0] == 3 for r in res) and "resume true -> false" in e1,
      "a rank that does not resume beside one that does: both stop: " + e1.strip()[-300:])

# 2. a worker killed mid-run ---------------------------------------------
ck = os.path.join(OUT, "kill.ckpt")
for f in (ck,):
    if os.path.exists(f):
        os.remove(f)
t0 = time.time()
res = finish(world(2, ["--out", os.path.join(OUT, "wk.txt"), "--batch", "8", "--epochs", "3",
                       "--checkpoint", ck, "--die-at", "5"], timeout_s=60), limit=120)
dt = time.time() - t0
(rc0, _, e0), (rc1, _, _) = res
check(rc1 == -signal.SIGKILL, "rank 1 was killed (status %s)" % rc1)
check(rc0 == 3, "rank 0 exits with an error when its peer dies (status %s)" % rc0)
check("distributed: rank 0 of 2" in e0 and "failed" in e0 and "within 60 s" in e0
      and "epoch 2 step 2" in e0,
      "rank 0's error names itself, the collective (epoch 2 step 2) and the timeout: " +
      e0.strip().splitlines()[-1][:300] if e0.strip() else "(no stderr)")
check(dt < 45, "rank 0 stops in %.1f s, not after the 60 s timeout" % dt)
check(os.path.exists(ck), "the checkpoint of epoch 1 survives")
check(not [f for f in os.listdir(OUT) if ".tmp" in f or f.startswith(".kill")],
      "no partial file beside it")
ref3 = os.path.join(OUT, "w1_resumed.txt")
rc = subprocess.run([WORKER, "--out", ref3, "--batch", "8", "--epochs", "3", "--checkpoint", ck,
                     "--resume"], capture_output=True, text=True)
check(rc.returncode == 0, "resume with one worker (%s)" % rc.stderr.strip()[-200:])
if rc.returncode == 0:
    d = max_diff(w1, weights(ref3))
    check(d < 2e-6, "the resumed run ends with the uninterrupted run's weights "
          "(max |diff| %.2e)" % d)

# 3. a worker that stops answering ----------------------------------------
t0 = time.time()
procs = world(2, ["--out", os.path.join(OUT, "wh.txt"), "--batch", "8", "--epochs", "3",
                  "--hang-at", "2"], timeout_s=4)
try:
    _, e0 = procs[0].communicate(timeout=60)
except subprocess.TimeoutExpired:
    procs[0].kill()
    _, e0 = procs[0].communicate()
dt = time.time() - t0
procs[1].kill()
procs[1].communicate()
check(procs[0].returncode == 3 and "within 4 s" in e0,
      "rank 0 gives up on a silent peer with the stated timeout (status %s): %s" % (
          procs[0].returncode, e0.strip().splitlines()[-1][:200] if e0.strip() else ""))
check(4 <= dt < 34, "after %.1f s (timeout 4 s)" % dt)

# 4. launch errors ---------------------------------------------------------
env = dict(os.environ, RANK="x", WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT="1")
rc = subprocess.run([WORKER, "--batch", "8"], env=env, capture_output=True, text=True)
check(rc.returncode == 3 and "expected RANK to be an integer from 0 to 1, found 'x'" in rc.stderr,
      "a malformed RANK is refused clearly: " + rc.stderr.strip()[-160:])
env = dict(os.environ, RANK="0", WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT="29999")
rc = subprocess.run([TFMED, "train", "specar", "--preset", "jv", "--nproc", "2", "--out",
                     os.path.join(OUT, "x.tfm")], env=env, capture_output=True, text=True)
check(rc.returncode == 1 and "expected one of the two, found both" in rc.stderr,
      "--nproc inside a torchrun world is refused: " + rc.stderr.strip()[-200:])

# 5. through the tool --------------------------------------------------------
if not os.path.isdir(os.path.join(DATA, "uea")):
    print("SKIP: tfmed train specar --nproc 2 (no JapaneseVowels under %s)" % DATA)
else:
    hist = {}
    # An inherited MASTER_PORT (a Slurm job's, another world's) held by
    # another program: --nproc takes a port of its own (it bound this one).
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    for n in (1, 2):
        model = os.path.join(OUT, "jv%d.tfm" % n)
        js = os.path.join(OUT, "jv%d.json" % n)
        rc = subprocess.run([TFMED, "train", "specar", "--preset", "jv", "--epochs", "2",
                             "--d-model", "16", "--d-ff", "16", "--dropout", "0", "--data-dir",
                             DATA, "--out", model, "--json", js, "--nproc", str(n)],
                            capture_output=True, text=True,
                            env=dict(os.environ, MASTER_PORT=str(busy.getsockname()[1])))
        check(rc.returncode == 0 and os.path.exists(model),
              "tfmed train specar --nproc %d writes the model (%s)" % (n, rc.stderr.strip()[-300:]))
        if n == 2:
            check(rc.stdout.count("model " + model) == 1,
                  "one report for the world (rank 0 alone prints the summary)")
        if os.path.exists(js):
            hist[n] = [h["train_loss"] for h in json.load(open(js))["history"]]
    if len(hist) == 2:
        # Each worker's convolutions see batch 8 instead of 16, and oneDNN
        # picks its kernels (and so its summation order) per shape: the
        # first epoch agrees to float rounding, later ones drift by that
        # rounding compounded over the steps (measured 2e-4 after 28 steps).
        # The first epoch's difference depends on the CPU's kernels: below
        # 1e-5 on earlier machines, 6.3e-5 on an Emerald Rapids Xeon.
        # A wrong all-reduce (sum for mean, a rank's gradient lost) moves the
        # first epoch's loss by far more. The exact check is section 1's.
        d1 = abs(hist[1][0] - hist[2][0]) / abs(hist[1][0])
        d = max(abs(a - b) / abs(a) for a, b in zip(hist[1], hist[2]))
        check(d1 < 2e-4 and d < 1e-3,
              "epoch losses with 2 workers equal 1 worker's (first epoch rel diff %.1e < 2e-4, "
              "max %.1e < 1e-3): %s vs %s" % (d1, d, hist[1], hist[2]))

# 5b. the launcher stopped: its workers stop with it ----------------------------
def launch_long(model, ignore_hup=False, own_group=False):
    """`tfmed train specar --nproc 2` for long enough; the launcher and its
    two workers' pids once they exist (3 s into the training). ignore_hup:
    started as under nohup (SIGHUP ignored); own_group: in a process group
    of its own (as a terminal's foreground job)."""
    def nohup():
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    p = subprocess.Popen([TFMED, "train", "specar", "--preset", "jv", "--epochs", "200",
                          "--d-model", "16", "--d-ff", "16", "--data-dir", DATA,
                          "--out", model, "--nproc", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=nohup if ignore_hup else None, start_new_session=own_group)
    kids = []
    t0 = time.time()
    while time.time() - t0 < 60 and len(kids) < 2:
        time.sleep(0.5)
        try:
            kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
        except OSError:
            break
    time.sleep(3)  # into the training
    return p, kids


def output_within(p, limit):
    """p's output once it has ended; killed after `limit` s without an end."""
    try:
        return p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.communicate()


def still_running(kids, wait_s=10):
    """The workers among `kids` still running (not gone, not zombies) after
    waiting up to wait_s for them to end."""
    def running(k):
        try:
            return open("/proc/%s/stat" % k).read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    t1 = time.time()
    alive = [k for k in kids if running(k)]
    while alive and time.time() - t1 < wait_s:
        time.sleep(0.2)
        alive = [k for k in alive if running(k)]
    return alive


if os.path.isdir(os.path.join(DATA, "uea")):
    model = os.path.join(OUT, "jvterm.tfm")
    launcher, kids = launch_long(model)
    check(len(kids) == 2, "the launcher started 2 workers (%s)" % kids)
    launcher.send_signal(signal.SIGTERM)
    _, err = output_within(launcher, 30)
    alive = still_running(kids)
    # It ends by the signal itself (an exit status of 143 would not stop a
    # calling shell script the way Ctrl-C stops it).
    check(launcher.returncode == -signal.SIGTERM and "stopping the 2 worker(s)" in err,
          "SIGTERM to the launcher: forwarded, ended by it (%s): %s" % (launcher.returncode,
                                                                       err.strip()[-200:]))
    check(not alive, "no worker outlives its launcher (still running: %s)" % alive)
    # Under nohup a hang-up is ignored by the launcher and its workers, as by
    # a single process (the launcher caught it and its workers died of it).
    launcher, kids = launch_long(model, ignore_hup=True)
    launcher.send_signal(signal.SIGHUP)
    time.sleep(2)
    def ignores_hup(pid):
        try:
            for line in open("/proc/%s/status" % pid):
                if line.startswith("SigIgn:"):
                    return int(line.split()[1], 16) & (1 << (signal.SIGHUP - 1)) != 0
        except OSError:
            return False
        return False
    alive = still_running(kids, wait_s=0)
    check(launcher.poll() is None and len(kids) == 2 and alive == kids
          and all(ignores_hup(k) for k in kids),
          "SIGHUP under nohup: the launcher and both workers train on, ignoring it "
          "(launcher %s, workers alive %s of %s)" % (launcher.returncode, alive, kids))
    launcher.send_signal(signal.SIGTERM)
    output_within(launcher, 30)
    alive = still_running(kids)
    for k in alive:  # never leave them training
        os.kill(int(k), signal.SIGKILL)
    check(launcher.returncode == -signal.SIGTERM and not alive,
          "... and SIGTERM still stops them all (%s, still running: %s)"
          % (launcher.returncode, alive))
    # A launcher killed outright cannot forward anything: the kernel sends its
    # workers SIGTERM (PR_SET_PDEATHSIG).
    launcher, kids = launch_long(model)
    launcher.kill()
    try:  # the workers hold the pipes: EOF only once they are gone
        launcher.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    alive = still_running(kids)
    for k in alive:  # never leave them training
        os.kill(int(k), signal.SIGKILL)
    check(len(kids) == 2 and not alive,
          "SIGKILL to the launcher: its 2 workers end too (still running: %s)" % alive)

# 5b''. a world: Ctrl-C stops every worker before the same step ---------------
# The workers died of the forwarded signal anywhere (rank 0 inside a
# checkpoint's write too) and were killed 5 s later. Now they cancel before
# their next step, agreed in the step's reduction: the checkpoint is whole,
# no model, no temporary, and the launcher still ends by SIGINT. Once with
# SIGINT to the launcher alone, once to its whole process group as a
# terminal's Ctrl-C sends it (each worker gets it straight and forwarded:
# one request, not two).
for to_group in (False, True) if os.path.isdir(os.path.join(DATA, "uea")) else ():
    model = os.path.join(OUT, "jvint2.tfm")
    for f in glob.glob(model + "*"):
        os.remove(f)
    launcher, kids = launch_long(model, own_group=to_group)
    t0 = time.time()
    while time.time() - t0 < 120 and not os.path.exists(model + ".ckpt") \
            and launcher.poll() is None:
        time.sleep(0.2)
    time.sleep(1)
    if to_group:
        os.killpg(launcher.pid, signal.SIGINT)
    else:
        launcher.send_signal(signal.SIGINT)
    out, err = output_within(launcher, 90)
    alive = still_running(kids)
    for k in alive:  # never leave them training
        os.kill(int(k), signal.SIGKILL)
    left = [f for f in glob.glob(model + "*") if ".tmp." in f]
    check(launcher.returncode == -signal.SIGINT and "cancelled in epoch" in out + err
          and "before their next step" in err and "killed by signal 9" not in err
          and not os.path.exists(model) and os.path.exists(model + ".ckpt") and not left
          and not alive,
          "SIGINT to the %s of 2 workers: both cancelled between steps, the launcher "
          "ended by SIGINT, checkpoint kept, no model, no temporary (%s, temporaries %s, "
          "alive %s): %s" % ("process group" if to_group else "launcher", launcher.returncode,
                             left, alive, (out + err).strip()[-400:]))
    rc = subprocess.run([TFMED, "doctor", model + ".ckpt"], capture_output=True, text=True)
    check("REFUSED" not in rc.stdout and "damaged" not in rc.stdout + rc.stderr,
          "... and the checkpoint reads whole: %s" % (rc.stdout + rc.stderr).strip()[-300:])

# 5b'. one process: Ctrl-C stops the loop between steps ------------------------
# It killed the process anywhere, also inside a checkpoint's write (whose
# temporary then stayed). Now the first SIGINT cancels before the next step:
# the last checkpoint is whole and resumes, no model is written, no
# temporary is left, and the process still ends by SIGINT (a calling shell
# loop stops as it did).
if os.path.isdir(os.path.join(DATA, "uea")):
    model = os.path.join(OUT, "jvint.tfm")
    for f in glob.glob(model + "*"):
        os.remove(f)
    p = subprocess.Popen([TFMED, "train", "specar", "--preset", "jv", "--epochs", "200",
                          "--d-model", "16", "--d-ff", "16", "--data-dir", DATA, "--threads", "1",
                          "--out", model],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while time.time() - t0 < 120 and not os.path.exists(model + ".ckpt") and p.poll() is None:
        time.sleep(0.2)
    time.sleep(1)
    p.send_signal(signal.SIGINT)
    out, err = output_within(p, 60)
    left = [f for f in glob.glob(model + "*") if ".tmp." in f]
    check(p.returncode == -signal.SIGINT and "cancelled in epoch" in out + err
          and not os.path.exists(model) and os.path.exists(model + ".ckpt") and not left,
          "SIGINT to one training process: stopped between steps, ended by SIGINT, checkpoint "
          "kept, no model, no temporary (%s, temporaries %s): %s"
          % (p.returncode, left, (out + err).strip()[-300:]))
    rc = subprocess.run([TFMED, "doctor", model + ".ckpt"], capture_output=True, text=True)
    check("REFUSED" not in rc.stdout and "damaged" not in rc.stdout + rc.stderr,
          "... and the checkpoint reads whole: %s" % (rc.stdout + rc.stderr).strip()[-300:])

# 5c. refusals at the start, not after the work ----------------------------------
if os.path.isdir(os.path.join(DATA, "bonn_eeg")):
    # The head's batch is global: 1 window cannot be split across 2 workers.
    # Refused before the pre-training (it failed after it, naming --batch).
    head = os.path.join(OUT, "trls_head.tfm")
    t0 = time.time()
    rc = subprocess.run([TFMED, "train", "trls", "--data", "epilepsy", "--data-dir", DATA,
                         "--max-windows", "200", "--epochs", "50", "--head-batch", "1",
                         "--threads", "1", "--nproc", "2", "-o", head],
                        capture_output=True, text=True, timeout=300)
    check(rc.returncode != 0 and "--head-batch: expected a batch >= the number of workers (2"
          in rc.stderr and "epoch 1/50" not in rc.stderr and not os.path.exists(head),
          "train trls --nproc 2 --head-batch 1: refused before pre-training (%.0f s): %s"
          % (time.time() - t0, rc.stderr.strip()[-300:]))
    # BYOL's projectors hold BatchNorm: a worker's share of 1 window was
    # padded with a neighbour (2 windows, one twice). 2 per worker at least.
    pre = os.path.join(OUT, "trls_pre.tfm")
    rc = subprocess.run([TFMED, "train", "trls", "--data", "epilepsy", "--data-dir", DATA,
                         "--max-windows", "200", "--epochs", "50", "--batch", "3",
                         "--threads", "1", "--nproc", "2", "-o", pre],
                        capture_output=True, text=True, timeout=300)
    check(rc.returncode != 0 and "expected a batch >= 2 x the 2 workers (4: BatchNorm"
          in rc.stderr and "epoch 1/50" not in rc.stderr and not os.path.exists(pre),
          "train trls --nproc 2 --batch 3: refused, 2 windows per worker (%s)"
          % rc.stderr.strip()[-300:])
rc = subprocess.run([TFMED, "train", "specar", "--nproc", "2", "--dist-timeout", "1e7",
                     "-o", os.path.join(OUT, "never.tfm")], capture_output=True, text=True)
check(rc.returncode != 0 and "--dist-timeout" in rc.stderr and "TFMED_DIST_TIMEOUT" not in
      rc.stderr, "--dist-timeout 1e7: refused by its own name (%s)" % rc.stderr.strip()[-200:])
# Without a world the collectives' options did nothing, silently.
rc = subprocess.run([TFMED, "train", "specar", "--dist-backend", "gloo",
                     "-o", os.path.join(OUT, "never.tfm")], capture_output=True, text=True,
                    env={k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")})
check(rc.returncode != 0 and "--dist-backend: only for a world of workers" in rc.stderr
      and not os.path.exists(os.path.join(OUT, "never.tfm")),
      "--dist-backend with --nproc 1 and no world: refused (%s)" % rc.stderr.strip()[-200:])

# 6. tfmed bench train -------------------------------------------------------
bj = os.path.join(OUT, "bench_train.json")
rc = subprocess.run([TFMED, "bench", "train", "--nproc", "1,2", "--width", "4", "--batch", "4",
                     "--steps", "2", "--warmup", "1", "--json", bj], capture_output=True, text=True)
check(rc.returncode == 0 and os.path.exists(bj), "tfmed bench train --nproc 1,2 runs (%s)"
      % rc.stderr.strip()[-300:])
if os.path.exists(bj):
    rows = json.load(open(bj))["rows"]
    check([r["world"] for r in rows] == [1, 2] and rows[0]["speedup"] == 1.0 and
          all(r["samples_per_s"] > 0 and r["step_s"] > 0 and r["parameters"] > 0 for r in rows),
          "it reports steps/s, speed-up and efficiency for 1 and 2 workers: " +
          ", ".join("%d: %.1f samples/s (%.2fx)" % (r["world"], r["samples_per_s"], r["speedup"])
                    for r in rows))
    check("speed-up" in rc.stdout and "efficiency" in rc.stdout, "the table names its columns")

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all distributed checks passed")
