# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: how long each task took on each host, written as JSON when the run ends.

Enabled by bench/drift_iosxe.py with ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins,
ANSIBLE_CALLBACKS_ENABLED=task_timing and PMIPV6_TASK_TIMING=<file>. The file holds
``{"tasks": [{"host", "task", "action", "start", "seconds", "status"}, ...]}``; ``start`` is
seconds since the playbook began (monotonic clock), so a host's share of the wall time and the
overlap between forks can both be read from it.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_timing
type: aggregate
short_description: per-host task durations as JSON (benchmarks)
description: Writes every task's duration on every host to the file named by PMIPV6_TASK_TIMING.
requirements: [enabled in callbacks_enabled]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._t0 = time.monotonic()
        self._running: dict[tuple[str, str], float] = {}
        self._done: list[dict] = []

    def v2_runner_on_start(self, host, task):
        self._running[(host.get_name(), task._uuid)] = time.monotonic()

    def _finish(self, result, status: str) -> None:
        host, task = result._host.get_name(), result._task
        started = self._running.pop((host, task._uuid), None)
        if started is None:  # loop items report per item; the task's own result ends it
            return
        self._done.append(
            {
                "host": host,
                "task": task.get_name(),
                "action": task.action,
                "start": round(started - self._t0, 4),
                "seconds": round(time.monotonic() - started, 4),
                "status": status,
            }
        )

    def v2_runner_on_ok(self, result):
        self._finish(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._finish(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._finish(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        target = os.environ.get("PMIPV6_TASK_TIMING")
        if target:
            with open(target, "w", encoding="utf-8") as fh:
                json.dump({"wall": round(time.monotonic() - self._t0, 3), "tasks": self._done}, fh)
