#!/usr/bin/env python3
"""A PMI-1 server that lies, for t0076: it starts SIZE copies of a command
as the tasks of one job (PMI_FD=3, PMI_RANK, PMI_SIZE), serves them the
simple wire protocol (one KVS, barriers across all tasks), logs every line
it reads and writes, and may tamper with what get returns:

  --swap KEY=OTHER     a get of KEY answers OTHER's value (another key's)
  --replace KEY=VALUE  a get of KEY answers VALUE (the server's own)
  --replay FILE        a get answers the value FILE (a --save of another
                       run) has for the key, if any
  --save FILE          at the end, write the KVS (JSON) to FILE
  --server-uid UID     serve from a process of that uid: it makes the
                       socketpairs (so the tasks' SO_PEERCRED names it) and
                       hands the tasks' ends to the launcher (SCM_RIGHTS)

Tampering applies to gets by ranks > 0 (rank 0 made the values).  An
abort ends the job: the other tasks get SIGTERM.  Each task's exit status
is logged as "exit RANK STATUS"; the server exits 0 if every task did.
"""
import argparse
import json
import os
import select
import signal
import socket
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--kvsname", default="kvs_fake")
    p.add_argument("--log", required=True)
    p.add_argument("--swap", action="append", default=[])
    p.add_argument("--replace", action="append", default=[])
    p.add_argument("--replay")
    p.add_argument("--save")
    p.add_argument("--server-uid", type=int)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    if a.cmd and a.cmd[0] == "--":
        a.cmd = a.cmd[1:]
    if not a.cmd:
        p.error("no command")
    a.replay_kvs = {}
    if a.replay:
        with open(a.replay) as f:
            a.replay_kvs = json.load(f)
    return a


def pairs(items):
    out = {}
    for s in items:
        k, _, v = s.partition("=")
        out[k] = v
    return out


class Server:
    def __init__(self, a, fds, log):
        self.a = a
        self.log = log
        self.kvs = {}
        self.swap = pairs(a.swap)
        self.replace = pairs(a.replace)
        self.replay = a.replay_kvs
        self.socks = {r: socket.socket(fileno=fd) for r, fd in fds.items()}
        self.buf = {r: b"" for r in fds}
        self.in_barrier = set()
        self.aborted = None

    def send(self, r, line):
        self.log.write("%d <- %s\n" % (r, line))
        try:
            self.socks[r].sendall((line + "\n").encode())
        except OSError:
            pass

    def get(self, r, key):
        if r > 0 and key in self.swap:
            self.log.write("tamper: %s answers %s's value\n" % (key, self.swap[key]))
            return self.kvs.get(self.swap[key])
        if r > 0 and key in self.replace:
            self.log.write("tamper: %s answers the server's own value\n" % key)
            return self.replace[key]
        if r > 0 and key in self.replay:
            self.log.write("tamper: %s answers the replayed value\n" % key)
            return self.replay[key]
        return self.kvs.get(key)

    def handle(self, r, line):
        self.log.write("%d -> %s\n" % (r, line))
        toks = line.split(" ")
        if toks[0] == "cmd=abort":
            self.aborted = r
            return False
        kv = dict(t.partition("=")[::2] for t in toks)
        cmd = kv.get("cmd")
        if cmd == "init":
            self.send(r, "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1")
        elif cmd == "get_maxes":
            self.send(r, "cmd=maxes rc=0 kvsname_max=64 keylen_max=64 vallen_max=1024")
        elif cmd == "get_my_kvsname":
            self.send(r, "cmd=my_kvsname rc=0 kvsname=%s" % self.a.kvsname)
        elif cmd == "put":
            self.kvs[kv["key"]] = kv["value"]
            self.send(r, "cmd=put_result rc=0")
        elif cmd == "get":
            v = self.get(r, kv["key"])
            if v is None:
                self.send(r, "cmd=get_result rc=-1 msg=key_not_found")
            else:
                self.send(r, "cmd=get_result rc=0 value=%s" % v)
        elif cmd == "barrier_in":
            self.in_barrier.add(r)
            if len(self.in_barrier) == len(self.socks):
                for q in sorted(self.in_barrier):
                    self.send(q, "cmd=barrier_out rc=0")
                self.in_barrier = set()
        elif cmd == "finalize":
            self.send(r, "cmd=finalize_ack rc=0")
        else:
            self.send(r, "cmd=error rc=-1 msg=unknown_command")
        return True

    def serve(self):
        """Until every task closed its end, or one aborted."""
        live = dict(self.socks)
        while live:
            ready, _, _ = select.select(list(live.values()), [], [], self.a.timeout)
            if not ready:
                self.log.write("server: no line in %g s\n" % self.a.timeout)
                return
            for r, s in list(live.items()):
                if s not in ready:
                    continue
                data = s.recv(65536)
                if not data:
                    del live[r]
                    continue
                self.buf[r] += data
                while b"\n" in self.buf[r]:
                    line, _, self.buf[r] = self.buf[r].partition(b"\n")
                    if not self.handle(r, line.decode(errors="replace")):
                        return
        if self.a.save:
            with open(self.a.save, "w") as f:
                json.dump(self.kvs, f)


def spawn(a, r, fd):
    pid = os.fork()
    if pid == 0:
        os.dup2(fd, 3)
        env = dict(os.environ, PMI_FD="3", PMI_RANK=str(r), PMI_SIZE=str(a.size), PMI_SPAWNED="0")
        os.closerange(4, 1024)
        os.execvpe(a.cmd[0], a.cmd, env)
    return pid


def main():
    a = parse_args()
    task_fds, server_fds = {}, {}
    server_pid = None
    if a.server_uid is None:
        for r in range(a.size):
            s, t = socket.socketpair()
            task_fds[r], server_fds[r] = t.detach(), s.detach()
    else:
        ctl, ctl_child = socket.socketpair()
        server_pid = os.fork()
        if server_pid == 0:
            ctl.close()
            # files first, while still allowed to open them
            log = open(a.log, "a", buffering=1)
            save = open(a.save, "w") if a.save else None
            a.save = None
            os.setgroups([])
            os.setresgid(a.server_uid, a.server_uid, a.server_uid)
            os.setresuid(a.server_uid, a.server_uid, a.server_uid)
            for r in range(a.size):
                s, t = socket.socketpair()
                server_fds[r] = s.detach()
                socket.send_fds(ctl_child, [b"%d" % r], [t.fileno()])
                t.close()
            ctl_child.close()
            srv = Server(a, server_fds, log)
            srv.serve()
            if save:
                json.dump(srv.kvs, save)
                save.close()
            if srv.aborted is not None:
                srv.log.write("server: rank %d aborted: ending the job\n" % srv.aborted)
            os._exit(0 if srv.aborted is None else 10 + srv.aborted)
        ctl_child.close()
        for _ in range(a.size):
            msg, fds, _, _ = socket.recv_fds(ctl, 16, 1)
            task_fds[int(msg)] = fds[0]
        ctl.close()
    pids = {}
    for r in range(a.size):
        os.set_inheritable(task_fds[r], True)
        pids[spawn(a, r, task_fds[r])] = r
        os.close(task_fds[r])
    if server_pid is None:
        srv = Server(a, server_fds, open(a.log, "a", buffering=1))
        srv.serve()
        log = srv.log
        aborted = srv.aborted
        if aborted is not None:
            log.write("server: rank %d aborted: ending the job\n" % srv.aborted)
    else:
        _, st = os.waitpid(server_pid, 0)
        log = open(a.log, "a", buffering=1)
        code = os.waitstatus_to_exitcode(st)
        aborted = code - 10 if code >= 10 else None
    worst = 0
    left = dict(pids)

    def reap(pid, st):
        nonlocal worst
        code = os.waitstatus_to_exitcode(st)
        log.write("exit %d %d\n" % (left.pop(pid), code))
        worst = worst or code

    # an abort ends the job (once the aborting task is gone, or after 5 s,
    # so that its own exit status is its own); otherwise the tasks end on
    # their own
    if aborted is not None:
        mine = [p for p, r in pids.items() if r == aborted]
        for _ in range(100):
            pid, st = os.waitpid(mine[0], os.WNOHANG)
            if pid:
                reap(pid, st)
                break
            time.sleep(0.05)
        for pid in left:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    while left:
        pid, st = os.wait()
        reap(pid, st)
    sys.exit(1 if worst else 0)


if __name__ == "__main__":
    main()
