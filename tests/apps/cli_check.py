#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""What the `tfmed` command tests share: running the tool, and collecting
failures with what was expected and what was found."""
import json
import os
import subprocess
import sys


class Checks:
    def __init__(self, tfmed, env):
        self.tfmed, self.env, self.failures = tfmed, env, []

    def run(self, *args, env=None):
        """Exit status and output (standard output, then standard error);
        `env` adds to the environment the checks were made with."""
        p = subprocess.run([self.tfmed, *map(str, args)], capture_output=True, text=True,
                           errors="replace", env=self.env if env is None else {**self.env, **env},
                           timeout=600)
        return p.returncode, p.stdout + p.stderr

    def ok(self, what, *args):
        rc, text = self.run(*args)
        if rc != 0:
            self.failures.append(f"{what}: exit {rc}\n{text}")
        return text

    def refused(self, what, want, *args, env=None):
        rc, text = self.run(*args, env=env)
        if rc == 0 or want not in text:
            self.failures.append(f"{what}: expected a failure with '{want}', got exit {rc}:\n"
                                 f"{text}")
        if "Exception raised from" in text:
            self.failures.append(f"{what}: a LibTorch backtrace reached the user:\n{text}")
        return text

    def absent(self, what, *paths):
        """A refused or failed command must leave no output behind."""
        for path in paths:
            if os.path.exists(path):
                self.failures.append(f"{what} left {path} behind")

    def check(self, what, cond, detail=""):
        if not cond:
            self.failures.append(f"{what}: {detail}")

    @staticmethod
    def png(path):
        return os.path.exists(path) and open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    def card(self, path):
        """The card `tfmed info` prints (JSON, then the sections' lines)."""
        text = self.ok(f"info {path}", "info", path)
        return json.loads(text[:text.index("\nweights:")])

    def finish(self, name):
        if self.failures:
            print("\n\n".join(self.failures))
            sys.exit(1)
        print(f"{name}: all checks passed")
