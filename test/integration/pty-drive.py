#!/usr/bin/env python3
"""pty-drive.py [--wait REGEX] [--type TEXT] [--rows N --cols N] CMD...: run
CMD on a new pseudo-terminal of that size, as a user at a terminal would;
once its output matches REGEX (or after 3 s without --wait) type TEXT
(backslash escapes: \\n, \\x03), then read until it exits (--timeout, default 60 s: then it is killed).
Prints what the terminal showed, then "status=N" (its exit code, or
128+signal), for t0079."""
import argparse
import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

ap = argparse.ArgumentParser()
ap.add_argument("--wait")
ap.add_argument("--type", default="")
ap.add_argument("--rows", type=int, default=24)
ap.add_argument("--cols", type=int, default=80)
ap.add_argument("--timeout", type=float, default=60)
ap.add_argument("cmd", nargs=argparse.REMAINDER)
a = ap.parse_args()

pid, fd = pty.fork()
if pid == 0:
    os.execvp(a.cmd[0], a.cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
text = a.type.encode().decode("unicode_escape").encode("latin-1")
out = b""
typed = not text
start = time.time()
while time.time() - start < a.timeout:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:  # EIO: the last holder of the terminal is gone
            break
        if not d:
            break
        out += d
    if not typed and ((a.wait and re.search(a.wait.encode(), out))
                      or (not a.wait and time.time() - start > 3)):
        os.write(fd, text)
        typed = True
done, status = os.waitpid(pid, os.WNOHANG)
if done == 0:  # still running after 60 s: the test fails, it does not hang
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
print("\nstatus=%d" % code)
