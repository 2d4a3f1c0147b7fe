"""Run a command one fork away from the benchmark, so its peak RSS is its own.

A child started straight from the benchmark process inherits that process's memory high-water
mark at exec (Linux records the old address space's peak in the child's `ru_maxrss`), which would
charge the benchmark's own memory to the plugin. This small launcher forks the real command itself
and writes the command's own peak RSS and CPU time to a file.

Usage: `python -m bench.launch RESULT.json -- command args...`
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    """Fork, exec the command, wait, record its rusage; exit with its status."""
    result_path, separator, *command = argv
    if separator != "--" or not command:
        print("usage: python -m bench.launch RESULT.json -- command args...", file=sys.stderr)
        return 2
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(
            {"peak_rss_kb": usage.ru_maxrss, "cpu_seconds": usage.ru_utime + usage.ru_stime}, out
        )
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
