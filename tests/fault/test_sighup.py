"""SIGHUP reopens the log file (for logrotate): after the file is moved away and SIGHUP is
sent, the bridge writes to a new file at the configured path and the old one gets nothing
more; records keep flowing meanwhile."""

import os
import signal
import sys
import tempfile
import shutil

from fault import (BRIDGE_ARGS, Bridge, Checks, Publisher, RedisServer, llen, tail, wait_until)


class LogFileBridge(Bridge):
    """A Bridge whose log goes to --log.file; log() reads that file."""

    def __init__(self, redis, path, args):
        super().__init__(redis, args + ["--log.file", path])
        self.file = path

    def log(self):
        try:
            with open(self.file, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


def main():
    checks = Checks("SIGHUP reopens the log file")
    tmp = tempfile.mkdtemp(prefix="zrb-sighup-")
    path = os.path.join(tmp, "bridge.log")
    try:
        with RedisServer() as redis, LogFileBridge(redis, path, BRIDGE_ARGS) as bridge:
            with Publisher(bridge.port, 1000, batch=100):
                wait_until(lambda: llen(redis) >= 1000, 30, "the first records")
            os.rename(path, path + ".1")
            bridge.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "log file reopened" in bridge.log(), 10, "a new log file")
            with Publisher(bridge.port, 1000, first=1000, batch=100):
                wait_until(lambda: llen(redis) >= 2000, 30, "records after the reopen")
            result = bridge.stop()
            with open(path + ".1", errors="replace") as f:
                old = f.read()
        checks.check(result.exit_code == 0, f"exit code {result.exit_code}")
        checks.check("log file reopened" not in old, "the old file got the reopen line")
        checks.check("all records written" in result.log, "the new file lacks the exit lines")
        checks.check("schema for 'seq'" in old, "the old file lacks the lines before SIGHUP")
        if checks.failures:
            print(tail(old), tail(result.log))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
