#!/usr/bin/python3
"""Benchmarks of flow offload on the userspace datapath: the patched tree
against the unpatched base, side by side, in one run.

Each workload runs in a throw-away sandbox (ovsdb-server and
'ovs-vswitchd --enable-dummy' in a temporary directory: no root, no NIC)
with a bridge of datapath type "dummy" and two "dummy-pmd" ports served by
one PMD thread.  Rounds alternate the order of the two builds.  Results go
to build/bench/ (results.csv, results.json, summary.txt, ratios.png).

Run it through 'make bench' (QUICK=1 for a short run); see README.md.
"""

import argparse
import csv
import json
import os
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

TIMEOUT = 300           # Seconds any wait may take before the run fails.


class BenchError(Exception):
    pass


def die(msg):
    raise BenchError(msg)


# ---------------------------------------------------------------------------
# A minimal JSON-RPC client for the daemons' unixctl sockets.  It avoids
# spawning one ovs-appctl process per command, which would dominate the
# injection of a million packets.

class Unixctl:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.id = 0
        self.decoder = json.JSONDecoder()

    def call(self, method, *params):
        self.id += 1
        req = {"id": self.id, "method": method, "params": list(params)}
        self.sock.sendall(json.dumps(req).encode())
        while True:
            try:
                text = self.buf.decode()
                msg, end = self.decoder.raw_decode(text)
                self.buf = text[end:].lstrip().encode()
                break
            except ValueError:
                data = self.sock.recv(1 << 20)
                if not data:
                    die("%s: connection closed by the daemon" % method)
                self.buf += data
        if msg.get("error"):
            die("%s: %s" % (method, msg["error"]))
        return msg.get("result") or ""

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------
# Packets: Ethernet/IPv4/UDP, 64 bytes on the wire without CRC.

def ipv4_checksum(header):
    s = sum(int.from_bytes(header[i:i + 2], "big")
            for i in range(0, len(header), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def packet_hex(src_index):
    """A UDP packet whose source MAC encodes 'src_index' (one megaflow per
    distinct index, see the OpenFlow rules in Sandbox.add_bridge())."""
    dst = bytes.fromhex("02ff00000002")
    src = bytes([0x02, 0x00]) + src_index.to_bytes(4, "big")
    payload = bytes(18)
    udp_len = 8 + len(payload)
    ip = bytearray(b"\x45\x00" + (20 + udp_len).to_bytes(2, "big")
                   + b"\x00\x00\x00\x00\x40\x11\x00\x00"
                   + bytes([10, 0, 0, 1]) + bytes([10, 0, 0, 2]))
    ip[10:12] = ipv4_checksum(bytes(ip)).to_bytes(2, "big")
    udp = ((1000).to_bytes(2, "big") + (2000).to_bytes(2, "big")
           + udp_len.to_bytes(2, "big") + b"\x00\x00")
    return (dst + src + b"\x08\x00" + bytes(ip) + udp + payload).hex()


# ---------------------------------------------------------------------------

class Sandbox:
    """ovsdb-server + ovs-vswitchd of one build in a temporary directory."""

    def __init__(self, tree, other_config, wrapper=(), dpdk_env=None,
                 cpus=None):
        """With 'dpdk_env' (a dict, "{dir}" in a value stands for the
        sandbox's directory), ovs-vswitchd runs without --enable-dummy and
        with those variables added to its environment (DPDK workloads).
        With 'cpus' (a set of CPU numbers), ovs-vswitchd starts with that
        CPU affinity, which its threads other than the PMD threads keep."""
        self.tree = os.path.abspath(tree)
        self.wrapper = list(wrapper)
        self.cpus = cpus
        self.dir = tempfile.mkdtemp(prefix="ovs-bench.")
        self.vswitchd_env = None
        if dpdk_env is not None:
            self.vswitchd_env = {k: v.format(dir=self.dir)
                                 for k, v in dpdk_env.items()}
        # Under a wrapper (callgrind) ovs-vswitchd runs tens of times
        # slower: adding the bridge's PMD ports alone can take longer than
        # 30 s on a 2-core machine.  The workloads keep their own limits.
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir,
                        OVS_DBDIR=self.dir, OVS_SYSCONFDIR=self.dir,
                        OVS_PKGDATADIR=self.tree,
                        OVS_CTL_TIMEOUT="300" if self.wrapper else "30")
        self.vswitchd = None
        self.foreground = None
        try:
            self._start(other_config)
        except BaseException:
            self.stop()
            raise

    def run(self, *args, wrapper=(), env=None, cpus=None):
        env = env or self.env
        preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        prog = args[0]
        for sub in ("utilities", "vswitchd", "ovsdb"):
            path = os.path.join(self.tree, sub, prog)
            if os.path.exists(path):
                break
        if wrapper:
            # A wrapper such as valgrind keeps its output open after the
            # daemon detaches: give it a file, not a pipe.
            with open(os.path.join(self.dir, "wrapper.log"), "w") as log:
                res = subprocess.run(list(wrapper) + [path] + list(args[1:]),
                                     env=env, cwd=self.dir, stdout=log,
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=preexec)
            if res.returncode:
                die("%s failed" % " ".join(args))
            return ""
        res = subprocess.run([path] + list(args[1:]), env=env,
                             cwd=self.dir, capture_output=True, text=True,
                             preexec_fn=preexec)
        if res.returncode:
            die("%s failed: %s" % (" ".join(args), res.stderr.strip()))
        return res.stdout

    def _pid(self, daemon):
        with open(os.path.join(self.dir, daemon + ".pid")) as f:
            return int(f.read())

    def _start(self, other_config):
        db = os.path.join(self.dir, "conf.db")
        self.run("ovsdb-tool", "create", db,
                 os.path.join(self.tree, "vswitchd", "vswitch.ovsschema"))
        self.run("ovsdb-server", "--detach", "--no-chdir", "--pidfile",
                 "--log-file", "-vconsole:off",
                 "--remote=punix:" + os.path.join(self.dir, "db.sock"), db)
        self.run("ovs-vsctl", "--no-wait", "init")
        cfg = ["other_config:%s=%s" % kv for kv in other_config.items()]
        self.run("ovs-vsctl", "--no-wait", "set", "Open_vSwitch", ".", *cfg)
        opts = ["--disable-system", "--disable-system-route", "--detach",
                "--no-chdir", "--pidfile", "--log-file", "-vconsole:off"]
        if self.vswitchd_env is None:
            self.run("ovs-vswitchd", "--enable-dummy", *opts,
                     wrapper=self.wrapper)
        elif self.wrapper:
            self._start_foreground(opts)
        else:
            self.run("ovs-vswitchd", *opts, wrapper=self.wrapper,
                     env=dict(self.env, **self.vswitchd_env), cpus=self.cpus)
        self.pid = self._pid("ovs-vswitchd")
        self.vswitchd = Unixctl(os.path.join(
            self.dir, "ovs-vswitchd.%d.ctl" % self.pid))

    def _start_foreground(self, opts):
        """ovs-vswitchd with DPDK under the wrapper (callgrind), not
        detached: callgrind_control finds the wrapper's process only when
        it did not fork."""
        path = os.path.join(self.tree, "vswitchd", "ovs-vswitchd")
        cpus = self.cpus
        with open(os.path.join(self.dir, "wrapper.log"), "w") as log:
            self.foreground = subprocess.Popen(
                self.wrapper + [path] + [o for o in opts if o != "--detach"],
                env=dict(self.env, **self.vswitchd_env), cwd=self.dir,
                stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus))
                if cpus else None)
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                pid = self._pid("ovs-vswitchd")
                if os.path.exists(os.path.join(
                        self.dir, "ovs-vswitchd.%d.ctl" % pid)):
                    return
            except (OSError, ValueError):
                pass
            if self.foreground.poll() is not None:
                die("ovs-vswitchd under %s exited; its log: %s; %s's: %s"
                    % (self.wrapper[0], self.log_tail(), self.wrapper[0],
                       self.log_tail("wrapper.log")))
            if time.monotonic() > deadline:
                die("ovs-vswitchd under %s did not start" % self.wrapper[0])
            time.sleep(0.2)

    def add_bridge(self, out_type="dummy"):
        """br0 with dummy-pmd ports p1 to p<N_IN> that forward to p0, of
        type 'out_type'.  The drop rule on a source MAC that no packet has
        makes every megaflow match the source MAC exactly.  The patched
        tree's dummy provider fully offloads a flow whose output port is of
        type dummy-pmd (the PMD thread then never sees its packets), so p0
        is of type dummy unless a workload wants full offload."""
        cmd = ["add-br", "br0", "--",
               "set", "bridge", "br0", "datapath_type=dummy"]
        for i in [0] + list(range(1, N_IN + 1)):
            cmd += ["--", "add-port", "br0", "p%d" % i, "--",
                    "set", "Interface", "p%d" % i,
                    "type=%s" % (out_type if i == 0 else "dummy-pmd"),
                    "ofport_request=%d" % (i or 100)]
        self.run("ovs-vsctl", *cmd)
        self.run("ovs-ofctl", "del-flows", "br0")
        self.run("ovs-ofctl", "add-flow", "br0",
                 "priority=10,dl_src=02:ff:ff:ff:ff:ff,actions=drop")
        self.run("ovs-ofctl", "add-flow", "br0",
                 "priority=1,actions=output:100")

    def appctl(self, *args):
        self.check_alive()
        try:
            return self.vswitchd.call(*args)
        except OSError as e:
            die("ovs-vswitchd stopped answering (%s); its log: %s"
                % (e, self.log_tail()))

    def check_alive(self):
        try:
            os.kill(self.pid, 0)
        except OSError:
            die("ovs-vswitchd died; its log: %s" % self.log_tail())

    def log_tail(self, name="ovs-vswitchd.log"):
        try:
            with open(os.path.join(self.dir, name)) as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return "(none)"

    def peak_rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        die("no VmHWM for ovs-vswitchd")

    def stop(self):
        if self.vswitchd:
            self.vswitchd.close()
        daemons = ["ovs-vswitchd", "ovsdb-server"]
        if self.foreground:
            # Our child: until it is reaped, os.kill(pid, 0) below would
            # find it alive.
            daemons.remove("ovs-vswitchd")
            self.foreground.terminate()
            try:
                self.foreground.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.foreground.kill()
                self.foreground.wait()
        pids = []
        for daemon in daemons:
            try:
                pids.append(self._pid(daemon))
                os.kill(pids[-1], 15)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 10
        for pid in pids:
            try:
                while time.monotonic() < deadline:
                    os.kill(pid, 0)
                    time.sleep(0.02)
                os.kill(pid, 9)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# What the two builds expose.  The base counts offloads of dpif-netdev's
# offload thread ("Total Enqueued offloads" is its queue depth); the patched
# tree's dummy provider reports its own block in "dpif-offload-dummy/stats".

def offload_state(sb):
    """Returns (queued offload operations, mean offload latency in us,
    offloaded flows or None when the build does not report it)."""
    text = sb.appctl("dpctl/offload-stats-show")
    m = re.search(r"Total\s+Enqueued offloads:\s*(\d+)", text)
    if m:
        lat = re.search(r"Total\s+Cumulative Average latency \(us\):\s*(\d+)",
                        text)
        return int(m.group(1)), int(lat.group(1)), None
    # The patched tree's dummy provider reports its counters in a command
    # of its own (dpctl/offload-stats-show has its port count only).
    text = sb.appctl("dpif-offload-dummy/stats")
    m = re.search(r"dummy\[[^]]*\]:\n((?:    .*\n?)*)", text)
    if not m:
        die("no offload counters in dpif-offload-dummy/stats:\n" + text)
    block = dict(re.findall(r"^\s+([^:]+):\s*(\d+)", m.group(1), re.M))
    return (int(block["Pending operations"]),
            int(block["Cumulative Average latency (us)"]),
            int(block["Offloaded flows"]))


def dp_flows(sb, dp="dummy@ovs-dummy"):
    text = sb.appctl("dpctl/show", dp)
    m = re.search(r"flows:\s*(\d+)", text)
    if not m:
        die("no flow count in dpctl/show:\n" + text)
    return int(m.group(1))


def wait_offloaded(sb, n_flows, offload=True, deadline=None):
    """Waits until the datapath has 'n_flows' flows and, if 'offload', no
    offload operation is queued any more (and, where the build reports it,
    'n_flows' flows are offloaded).  The condition must hold twice in a
    row."""
    deadline = deadline or time.monotonic() + TIMEOUT
    seen = 0
    while True:
        flows = dp_flows(sb)
        ok = flows == n_flows
        if ok and offload:
            queued, _, offloaded = offload_state(sb)
            ok = queued == 0 and offloaded in (None, n_flows)
        seen = seen + 1 if ok else 0
        if seen >= 2:
            return
        if time.monotonic() > deadline:
            state = offload_state(sb) if offload else ()
            die("timed out waiting for %d flows (datapath has %d; offload "
                "queue, latency, offloaded: %s)" % (n_flows, flows, state))
        time.sleep(0.02)


def pmd_stats(sb):
    """Sums the PMD threads' (not the main thread's) counters."""
    text = sb.appctl("dpif-netdev/pmd-stats-show")
    stats = {}
    for section in re.split(r"^(?=\S)", text, flags=re.M):
        if not section.startswith("pmd thread"):
            continue
        for key, value in re.findall(r"^\s+([a-z .]+):\s*([0-9.]+)",
                                     section, re.M):
            stats[key] = stats.get(key, 0) + float(value)
    if not stats:
        die("no PMD thread in dpif-netdev/pmd-stats-show:\n" + text)
    return stats


def pmd_received(sb):
    text = sb.appctl("dpif-netdev/pmd-stats-show")
    n = None
    for section in re.split(r"^(?=\S)", text, flags=re.M):
        m = re.search(r"^\s+packets received:\s*(\d+)", section, re.M)
        if section.startswith("pmd thread") and m:
            n = (n or 0) + int(m.group(1))
    if n is None:
        die("no PMD thread in dpif-netdev/pmd-stats-show:\n" + text)
    return n


# A dummy port's receive queue holds 100 packets and drops the rest, so
# packets go in batches of at most that many, each once the PMD thread has
# taken the previous one.
BATCH = 100

# Input ports.  Both dummy "hardwares" (3.1's netdev-dummy, the dummy
# provider) compare a received packet with the offloaded flows of its port
# one by one, so the flow setup workload spreads its flows over several
# ports.
N_IN = 8


def inject(sb, packets, repeat=1, spread=False):
    """Makes p1 receive 'packets', 'repeat' times over; with 'spread',
    batch i goes to port p<1 + i % N_IN> instead."""
    received = pmd_received(sb)
    expected = received
    deadline = time.monotonic() + TIMEOUT
    for _ in range(repeat):
        for i in range(0, len(packets), BATCH):
            batch = packets[i:i + BATCH]
            port = "p%d" % (1 + (i // BATCH) % N_IN if spread else 1)
            sb.appctl("netdev-dummy/receive", port, *batch)
            expected += len(batch)
            while received < expected:
                received = pmd_received(sb)
                if time.monotonic() > deadline:
                    die("the PMD thread received %d of %d packets"
                        % (received, expected))
            if received != expected:
                die("the PMD thread received %d packets, %d were sent"
                    % (received, expected))


# ---------------------------------------------------------------------------
# Workloads.  Each returns {metric: value}.

BASE_CONFIG = {"pmd-cpu-mask": "0x2", "max-idle": "600000"}


def offload_config(enabled):
    return dict(BASE_CONFIG, **{"hw-offload": "true" if enabled else "false"})


def wl_setup(tree, p):
    """N distinct megaflows, one packet each: flows/s until all are in the
    datapath and offloaded, and the mean offload latency reported."""
    sb = Sandbox(tree, offload_config(True))
    try:
        sb.add_bridge()
        packets = [packet_hex(i) for i in range(p.flows)]
        start = time.monotonic()
        # The revalidators' dynamic flow limit starts at 10,000 flows and
        # grows by 1,000 per dump, and packets beyond it are forwarded
        # without installing a flow: as real traffic would, the packets
        # come again until every flow is in.
        deadline = start + TIMEOUT
        inject(sb, packets, spread=True)
        while dp_flows(sb) < p.flows and time.monotonic() < deadline:
            time.sleep(0.1)
            inject(sb, packets, spread=True)
        wait_offloaded(sb, p.flows)
        elapsed = time.monotonic() - start
        _, latency, _ = offload_state(sb)
        return {"setup_rate": p.flows / elapsed, "setup_latency": latency}
    finally:
        sb.stop()


def wl_forward(tree, p, offload):
    """K offloaded flows, then M packets that hit them: PMD processing
    cycles per packet and the share that took the hardware-mark path."""
    sb = Sandbox(tree, offload_config(offload))
    try:
        sb.add_bridge()
        flows = [packet_hex(i) for i in range(p.fwd_flows)]
        inject(sb, flows)
        wait_offloaded(sb, p.fwd_flows, offload)
        # pmd-stats-clear takes effect later, in the PMD thread: use the
        # difference of two readings instead.
        before = pmd_stats(sb)
        packets = [flows[i % len(flows)] for i in range(BATCH)]
        total = (p.packets // BATCH) * BATCH
        inject(sb, packets, total // BATCH)
        after = pmd_stats(sb)
        delta = {k: after[k] - before.get(k, 0) for k in after}
        if delta["packets received"] != total:
            die("the PMD received %d packets, %d were sent"
                % (delta["packets received"], total))
        cycles = delta["processing cycles"] / total
        share = delta.get("phwol hits", 0) / total
        if offload:
            return {"fwd_offload_cycles": cycles, "fwd_offload_phwol": share}
        return {"fwd_plain_cycles": cycles}
    finally:
        sb.stop()


def callgrind_ir(tree, p, offload, n_packets):
    """Instructions executed in dp_netdev_input__() (the datapath's
    per-batch processing, from the received batch to the output actions)
    while p1 receives the K flows' first packets and then 'n_packets'
    more."""
    outdir = tempfile.mkdtemp(prefix="ovs-bench-cg.")
    wrapper = ["valgrind", "--tool=callgrind",
               "--toggle-collect=dp_netdev_input__", "--dump-instr=no",
               "--callgrind-out-file=%s/callgrind.%%p" % outdir]
    try:
        sb = Sandbox(tree, offload_config(offload), wrapper)
        try:
            sb.add_bridge()
            flows = [packet_hex(i) for i in range(p.fwd_flows)]
            inject(sb, flows)
            wait_offloaded(sb, p.fwd_flows, offload)
            if n_packets:
                packets = [flows[i % len(flows)] for i in range(BATCH)]
                inject(sb, packets, n_packets // BATCH)
            pid = sb.pid
        finally:
            sb.stop()
        # The output is written when the daemon exits.
        return callgrind_total(os.path.join(outdir, "callgrind.%d" % pid))
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def wl_forward_ir(tree, p, offload):
    """Instructions per packet in the datapath, counted by callgrind: the
    same traffic as wl_forward(), minus a run with only the flow setup.
    Unlike cycles it does not depend on the other threads."""
    n = (p.ir_packets // BATCH) * BATCH
    ir = (callgrind_ir(tree, p, offload, n)
          - callgrind_ir(tree, p, offload, 0)) / n
    return {"ir_offload" if offload else "ir_plain": ir}


def wl_churn(tree, p):
    """Flows added (K packets with new source MACs) and deleted
    (dpctl/del-flows) in rounds for a fixed time, every round waiting until
    its offload operations completed: put+del per second, peak RSS."""
    # The default max-idle, so that the revalidator forgets the deleted
    # flows (their ukeys) after 10 s as usual instead of keeping them.
    config = offload_config(True)
    del config["max-idle"]
    sb = Sandbox(tree, config)
    try:
        sb.add_bridge()
        ops = 0
        start = time.monotonic()
        round_no = 0
        while time.monotonic() - start < p.churn_seconds:
            base = 1000000 + round_no * p.churn_flows
            inject(sb, [packet_hex(base + i) for i in range(p.churn_flows)])
            wait_offloaded(sb, p.churn_flows)
            sb.appctl("dpctl/del-flows", "dummy@ovs-dummy")
            wait_offloaded(sb, 0)
            ops += 2 * p.churn_flows
            round_no += 1
        elapsed = time.monotonic() - start
        return {"churn_rate": ops / elapsed, "churn_rss": sb.peak_rss_kb()}
    finally:
        sb.stop()


def wl_limit(tree, p):
    """The dpif-offload layer alone (patched tree only)."""
    ovstest = os.path.join(tree, "tests", "ovstest")
    res = subprocess.run([ovstest, "test-dpif-offload-bench",
                          str(p.limit_ops)], capture_output=True, text=True)
    if res.returncode:
        die("ovstest test-dpif-offload-bench failed: " + res.stderr)
    out = {}
    for key, name in (("limit_put", "flow put"), ("limit_del", "flow del"),
                      ("limit_post", "post process"),
                      ("limit_refused", "refused put"),
                      ("limit_put_reasons", "flow put, reasons kept")):
        m = re.search(r"^%s: \d+ \w+, ([0-9.]+) ns" % name, res.stdout, re.M)
        if not m:
            die("unexpected output of test-dpif-offload-bench:\n"
                + res.stdout)
        out[key] = float(m.group(1))
    return out


def p0_sent(sb):
    """Packets that p0 sent, from dpctl/show -s."""
    text = sb.appctl("dpctl/show", "-s", "dummy@ovs-dummy")
    m = re.search(r"port \d+: p0 .*?\n\s+RX packets:.*?\n"
                  r"\s+TX packets:(\d+)", text, re.S)
    if not m:
        die("no TX packets of p0 in dpctl/show -s:\n" + text)
    return int(m.group(1))


def wl_full(tree, p):
    """The patched tree's simulated full offload: K offloaded flows, then M
    packets that hit them, forwarded by the dummy provider itself (p0 of
    type dummy-pmd) or, the same flows, by the PMD thread from their marks
    (p0 of type dummy): packets per second from the first packet sent
    until p0 sent the last.  Packets enter over unixctl in both cases."""
    out = {}
    for key, out_type in (("full_pps", "dummy-pmd"),
                          ("full_pmd_pps", "dummy")):
        sb = Sandbox(tree, offload_config(True))
        try:
            sb.add_bridge(out_type)
            flows = [packet_hex(i) for i in range(p.fwd_flows)]
            inject(sb, flows)
            wait_offloaded(sb, p.fwd_flows)
            packets = [flows[i % len(flows)] for i in range(BATCH)]
            total = (p.packets // BATCH) * BATCH
            expected = p0_sent(sb)
            deadline = time.monotonic() + TIMEOUT
            start = time.monotonic()
            for _ in range(total // BATCH):
                sb.appctl("netdev-dummy/receive", "p1", *packets)
                expected += BATCH
                while p0_sent(sb) < expected:
                    if time.monotonic() > deadline:
                        die("p0 sent %d of %d packets"
                            % (p0_sent(sb), expected))
            out[key] = total / (time.monotonic() - start)
            received = pmd_received(sb)
            if out_type == "dummy-pmd" and received != p.fwd_flows:
                die("the PMD thread received %d packets under full "
                    "offload, expected the %d first ones only"
                    % (received, p.fwd_flows))
        finally:
            sb.stop()
    return out


# ---------------------------------------------------------------------------
# DPDK workloads (--dpdk, as root, hugepages reserved by bench.sh): the
# userspace datapath as a DPDK user runs it, one PMD thread on core 1 with
# real receive bursts.  The input port is DPDK's net_pcap PMD reading a pcap
# of K flows (one packet each) in a loop (infinite_rx=1), the output port
# net_null (no-rx=1).  The rte_flow emulator of the patched tree
# (tests/librte-flow-emu.so) is preloaded into both builds: it marks the
# packets of partially offloaded flows in net_pcap's receive burst, so that
# the PMD takes the mark path, and it forwards those of fully offloaded
# flows to net_null itself.  For partial offload only net_pcap is
# emulated, so the full offload that both builds try first (an output to
# another DPDK port) is refused and they fall back to a mark; for full
# offload both ports are.  The emulator looks rules up one by one, in the
# PMD thread's receive call, for both builds alike: at K = 1,000 its cost
# dominates the cycles per packet and dilutes the ratio.

DPDK_EXTRA = "--no-pci --in-memory --log-level=pmd.*:error"
# The core of the threads other than the PMD thread (BASE_CONFIG gives the
# PMD thread core 1).
DPDK_MAIN_CORE = 0
DPDK_MODES = ("off", "partial", "full")
DPDK_KS = (1, 1000)


def write_pcap(path, n_flows, min_packets=32):
    """A pcap of one packet per flow (packet_hex()), all of them repeated
    until the file has at least 'min_packets', a receive burst."""
    reps = max(1, -(-min_packets // n_flows))
    packets = [bytes.fromhex(packet_hex(i)) for i in range(n_flows)]
    with open(path, "wb") as f:
        f.write((0xa1b2c3d4).to_bytes(4, "little") + (2).to_bytes(2, "little")
                + (4).to_bytes(2, "little") + bytes(8)
                + (65535).to_bytes(4, "little") + (1).to_bytes(4, "little"))
        for _ in range(reps):
            for pkt in packets:
                f.write(bytes(8) + len(pkt).to_bytes(4, "little") * 2 + pkt)


def dpdk_sandbox(tree, p, offload, emulated, extra=None, emu_env=None,
                 wrapper=()):
    """A sandbox with DPDK initialized and br0 (userspace datapath) with
    the output port pout (net_null); the input port comes later
    (dpdk_add_input()).  'emulated': the DPDK devices whose rte_flow the
    emulator takes."""
    cfg = dict(offload_config(offload), **{"dpdk-init": "true",
                                           "dpdk-extra": DPDK_EXTRA})
    cfg.update(extra or {})
    # The PMD thread gets core 1 (pmd-cpu-mask) and the other threads
    # core 0, as on a host whose PMD cores are kept for them: otherwise the
    # offload, handler and revalidator threads take their CPU time from the
    # PMD thread whenever core 0 is busy, and the figures measure the
    # scheduler.
    sb = Sandbox(tree, cfg, wrapper, dpdk_env=dict({
        "LD_PRELOAD": p.emu_lib,
        "RTE_FLOW_EMU_PORTS": ",".join(emulated)}, **(emu_env or {})),
        cpus={DPDK_MAIN_CORE})
    try:
        sb.run("ovs-vsctl", "add-br", "br0", "--",
               "set", "bridge", "br0", "datapath_type=netdev", "--",
               "add-port", "br0", "pout", "--",
               "set", "Interface", "pout", "type=dpdk",
               "options:dpdk-devargs=net_null0,no-rx=1",
               "ofport_request=100")
        # ovs-vsctl may return before the bridge's OpenFlow socket exists.
        mgmt = os.path.join(sb.dir, "br0.mgmt")
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(mgmt):
            if time.monotonic() > deadline:
                die("no %s" % mgmt)
            time.sleep(0.01)
        sb.run("ovs-ofctl", "del-flows", "br0")
        sb.run("ovs-ofctl", "add-flow", "br0",
               "priority=10,dl_src=02:ff:ff:ff:ff:ff,actions=drop")
        sb.run("ovs-ofctl", "add-flow", "br0",
               "priority=1,actions=output:100")
    except BaseException:
        sb.stop()
        raise
    return sb


def dpdk_add_input(sb, pcap, loop):
    sb.run("ovs-vsctl", "add-port", "br0", "pin", "--",
           "set", "Interface", "pin", "type=dpdk",
           "options:dpdk-devargs=net_pcap0,rx_pcap=%s,infinite_rx=%d"
           % (pcap, 1 if loop else 0), "ofport_request=1")
    error = sb.run("ovs-vsctl", "get", "Interface", "pin", "error").strip()
    if error not in ("[]", '""'):
        die("DPDK port pin: %s" % error)


def pout_tx(sb):
    """Packets net_null sent, from the device's own counters, whoever sent
    them (the PMD thread or the emulator)."""
    text = sb.appctl("dpctl/show", "-s", "netdev@ovs-netdev")
    m = re.search(r"port \d+: pout .*?TX packets:(\d+)", text, re.S)
    if not m:
        die("no TX packets for pout in dpctl/show -s:\n" + text)
    return int(m.group(1))


def n_offloaded(sb, kind):
    text = sb.appctl("dpctl/dump-flows", "-m")
    return text.count("offloaded:%s," % kind)


def dpdk_offload_stats(sb):
    """(enqueued, inserted, mean latency us, latency stddev us) of the
    offload threads, from dpctl/offload-stats-show (both builds)."""
    text = sb.appctl("dpctl/offload-stats-show")
    vals = []
    for name in (r"Enqueued offloads", r"Inserted offloads",
                 r"Cumulative Average latency \(us\)",
                 r"Cumulative Latency stddev \(us\)"):
        m = re.search(r"Total\s+%s:\s*(\d+)" % name, text)
        if not m:
            die("no '%s' in dpctl/offload-stats-show:\n%s" % (name, text))
        vals.append(int(m.group(1)))
    return tuple(vals)


def wl_dpdk_forward(tree, p):
    """For each mode and K: PMD cycles per packet (busy and idle cycles of
    the PMD thread over the packets pout sent; under full offload the
    emulator forwards in the PMD thread's receive call) and packets per
    second, over p.dpdk_seconds once the K flows are in place."""
    out = {}
    for mode in DPDK_MODES:
        emulated = ["net_pcap0"] + (["net_null0"] if mode == "full" else [])
        for k in DPDK_KS:
            sb = dpdk_sandbox(tree, p, mode != "off", emulated)
            try:
                dpdk_add_input(sb, p.pcaps[k], loop=True)
                dpdk_wait_flows(sb, mode, k)
                time.sleep(0.5)
                st0 = pmd_stats(sb)
                tx0, t0 = pout_tx(sb), time.monotonic()
                time.sleep(p.dpdk_seconds)
                tx1, t1 = pout_tx(sb), time.monotonic()
                st1 = pmd_stats(sb)
            finally:
                sb.stop()
            st = {key: st1[key] - st0.get(key, 0) for key in st1}
            sent = tx1 - tx0
            received = st["packets received"]
            if mode == "full" and received > sent / 100:
                die("full offload, K=%d: the PMD received %d packets, pout "
                    "sent %d" % (k, received, sent))
            if mode == "partial" and st["phwol hits"] < received * 0.99:
                die("partial offload, K=%d: %d of %d packets on the mark "
                    "path" % (k, st["phwol hits"], received))
            if sent <= 0:
                die("%s, K=%d: pout sent nothing" % (mode, k))
            cycles = st["processing cycles"] + st["idle cycles"]
            out["dpdk_%s_k%d_cpp" % (mode, k)] = cycles / sent
            out["dpdk_%s_k%d_pps" % (mode, k)] = sent / (t1 - t0)
    return out


def dpdk_wait_flows(sb, mode, k):
    """Waits until the datapath has the K flows, offloaded as 'mode' says
    (partial: marks, full: in "hardware")."""
    kind = {"partial": "partial", "full": "yes"}.get(mode)
    deadline = time.monotonic() + TIMEOUT
    while (dp_flows(sb, "netdev@ovs-netdev") != k
           or (kind and n_offloaded(sb, kind) != k)):
        if time.monotonic() > deadline:
            die("%s, K=%d: %d flows, %d offloaded"
                % (mode, k, dp_flows(sb, "netdev@ovs-netdev"),
                   n_offloaded(sb, kind) if kind else 0))
        time.sleep(0.05)


# A function that dp_netdev_input__() calls once per received packet, in
# both builds: on the mark path the flow is known and only the TCP flags
# are parsed; with offload off every packet's miniflow is extracted (the
# flows match the source MAC, so the simple match does not apply).
DPDK_IR_PER_PACKET = {"partial": "parse_tcp_flags",
                      "off": "miniflow_extract"}


def wl_dpdk_ir(tree, p):
    """For offload off and marks, K = 1 and 1,000: instructions per packet
    that the PMD thread executes in dp_netdev_input__() (from the received
    burst to the output actions, the provider's post-processing included),
    counted by callgrind over p.dpdk_ir_seconds once the K flows are in
    place.  Unlike the cycles, the count does not depend on the machine's
    load.  The packets are counted by callgrind too, in the same interval:
    the calls of a function that both builds call once per packet in that
    mode (DPDK_IR_PER_PACKET).  pmd-stats-show's count over the interval
    between the commands that zero and dump callgrind's counters (they take
    effect late: it was 0.8% off in a 20 s run) only checks it, within
    5%."""
    out = {}
    for mode in ("off", "partial"):
        for k in DPDK_KS:
            outdir = tempfile.mkdtemp(prefix="ovs-bench-cg.")
            # --fair-sched: the PMD thread polls without pause; without it,
            # valgrind's lock lets the main thread wait minutes for a port.
            out_file = os.path.join(outdir, "callgrind.out")
            wrapper = ["valgrind", "--tool=callgrind", "--fair-sched=yes",
                       "--toggle-collect=dp_netdev_input__",
                       "--dump-instr=no", "--callgrind-out-file=" + out_file]
            try:
                # Per port memory: the shared pools' 262,144 mbufs, each
                # initialized under callgrind, would take minutes.
                sb = dpdk_sandbox(tree, p, mode != "off", ["net_pcap0"],
                                  {"per-port-memory": "true"}, None,
                                  wrapper)
                try:
                    dpdk_add_input(sb, p.pcaps[k], loop=True)
                    dpdk_wait_flows(sb, mode, k)
                    time.sleep(1)
                    callgrind_control(sb, "-z")
                    st0 = pmd_stats(sb)
                    time.sleep(p.dpdk_ir_seconds)
                    st1 = pmd_stats(sb)
                    callgrind_control(sb, "-d")
                    # The first dump on request is "<out-file>.1".
                    path = out_file + ".1"
                    ir = callgrind_total(path)
                    n = callgrind_calls(path, DPDK_IR_PER_PACKET[mode])
                finally:
                    sb.stop()
            finally:
                shutil.rmtree(outdir, ignore_errors=True)
            received = st1["packets received"] - st0["packets received"]
            phwol = st1.get("phwol hits", 0) - st0.get("phwol hits", 0)
            if received <= 0 or abs(n - received) > received * 0.05:
                die("%s, K=%d, callgrind: %d calls of %s, %d packets "
                    "received" % (mode, k, n, DPDK_IR_PER_PACKET[mode],
                                  received))
            if mode == "partial" and phwol < received * 0.99:
                die("%s, K=%d, callgrind: %d of %d packets on the mark path"
                    % (mode, k, phwol, received))
            out["dpdk_ir_%s_k%d" % (mode, k)] = ir / n
    return out


def callgrind_calls(path, name):
    """The calls of function 'name' that callgrind output 'path' records
    (the sum of the 'calls=' lines under a 'cfn' that names it, directly or
    by its compressed id)."""
    names = {}
    current = None
    total = 0
    with open(path) as f:
        for line in f:
            if line.startswith(("fn=", "cfn=")):
                key, _, value = line.rstrip("\n").partition("=")
                m = re.match(r"\((\d+)\)(?: (.*))?$", value)
                if m and m.group(2) is not None:
                    names[m.group(1)] = m.group(2)
                current = None
                if key == "cfn":
                    current = names.get(m.group(1)) if m else value
            elif line.startswith("calls=") and current == name:
                total += int(line[6:].split()[0])
    return total


def callgrind_control(sb, option):
    res = subprocess.run(["callgrind_control", option, str(sb.pid)],
                         capture_output=True, text=True)
    if res.returncode or "OK" not in res.stdout:
        die("callgrind_control %s %d: %s%s" % (option, sb.pid, res.stdout,
                                                res.stderr))


def callgrind_total(path):
    """The instruction count in callgrind output 'path', once callgrind has
    written it (at the daemon's exit, or for callgrind_control -d at the
    PMD thread's next scheduling point)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            with open(path) as f:
                m = re.search(r"^totals:\s*(\d+)\n", f.read(), re.M)
            if m:
                return int(m.group(1))
        except OSError:
            pass
        if time.monotonic() > deadline:
            die("no callgrind totals in " + path)
        time.sleep(0.2)


def read_latencies(path, n_flows):
    """Per flow, microseconds from net_pcap's read of its packet to the
    creation of its rte_flow rule, as bench-latency.so noted them."""
    with open(path, "rb") as f:
        data = f.read()
    slots = [struct.unpack_from("=QQ", data, 16 * i) for i in range(n_flows)]
    missing = [i for i, (rx, rule) in enumerate(slots) if not rx or not rule]
    if missing:
        die("bench-latency.so: %d of %d flows without both moments "
            "(first: flow %d, %s)" % (len(missing), n_flows, missing[0],
                                      slots[missing[0]]))
    late = [i for i, (rx, rule) in enumerate(slots) if rule < rx]
    if late:
        die("bench-latency.so: flow %d's rule before its packet" % late[0])
    return [(rule - rx) / 1000 for rx, rule in slots]


def percentile(values, q):
    """The nearest-rank q-th percentile of 'values'."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * q // 100) - 1)]


def wl_dpdk_insert(tree, p):
    """N flows, one packet each, read once (infinite_rx=0): flows offloaded
    per second from the first offload request until all N are inserted
    (both ports emulated: full offload, one rte_flow rule per flow), for
    1 and 2 offload threads; the mean and standard deviation of the
    offload latency that dpctl/offload-stats-show reports (neither build
    has percentiles); per flow, from the read of its packet to the
    creation of its rte_flow rule (bench-latency.so, preloaded into both
    builds), the mean and the 99th percentile.  The emulator
    does not apply its rules to the received packets (RTE_FLOW_EMU_RX=off):
    its one-by-one lookup in the PMD thread would make each upcall the
    slower the more rules are in place, and the run measure it."""
    out = {}
    lat_file = os.path.join(os.path.abspath(p.out),
                            "dpdk-insert-latency.bin")
    for threads in (1, 2):
        with open(lat_file, "wb") as f:
            f.truncate(16 * p.insert_flows)
        # No PMD thread until the input port is in place: one that polled
        # it at once would receive the packets, read only once, before
        # ofproto knows the port, and lose their upcalls.
        sb = dpdk_sandbox(tree, p, True, ["net_pcap0", "net_null0"],
                          {"n-offload-threads": str(threads),
                           "pmd-cpu-mask": "0x0"},
                          {"RTE_FLOW_EMU_RX": "off",
                           "LD_PRELOAD": "%s %s" % (p.latency_lib,
                                                    p.emu_lib),
                           "OVS_BENCH_LATENCY_FILE": lat_file,
                           "OVS_BENCH_LATENCY_FLOWS": str(p.insert_flows)})
        try:
            # The revalidators start with a limit of 10,000 datapath flows
            # and raise it as they see dumps go fast: an upcall beyond it
            # fails, and its packet does not come back.
            sb.appctl("upcall/set-flow-limit", str(2 * p.insert_flows))
            dpdk_add_input(sb, p.pcaps["insert"], loop=False)
            sb.run("ovs-vsctl", "set", "Open_vSwitch", ".",
                   "other_config:pmd-cpu-mask=%s"
                   % BASE_CONFIG["pmd-cpu-mask"])
            deadline = time.monotonic() + TIMEOUT
            first = dp_done = None
            while True:
                enq, ins, lat, sd = dpdk_offload_stats(sb)
                now = time.monotonic()
                if first is None and enq + ins > 0:
                    first = now
                if (dp_done is None and first is not None
                        and dp_flows(sb, "netdev@ovs-netdev")
                        >= p.insert_flows):
                    dp_done = time.monotonic()
                if ins >= p.insert_flows:
                    break
                if now > deadline:
                    die("%d offload threads: %d of %d flows inserted"
                        % (threads, ins, p.insert_flows))
                time.sleep(0.01)
            flows = dp_flows(sb, "netdev@ovs-netdev")
            if flows != p.insert_flows:
                die("%d datapath flows, expected %d" % (flows,
                                                        p.insert_flows))
            # 3.1 reports a flow that another thread (the revalidator)
            # reads at the same time as not offloaded (patch 102 fixes it
            # in the series): a few reads, so that the base is not failed
            # for that.
            for _ in range(5):
                full = n_offloaded(sb, "yes")
                if full == p.insert_flows:
                    break
                time.sleep(1)
            else:
                die("%d of %d flows fully offloaded" % (full,
                                                        p.insert_flows))
            dp_done = dp_done or time.monotonic()
        except BaseException:
            sb.stop()
            os.unlink(lat_file)
            raise
        sb.stop()
        try:
            lats = read_latencies(lat_file, p.insert_flows)
        finally:
            os.unlink(lat_file)
        # The PMD thread makes the offload requests as it handles the
        # upcalls: the insertion rate is at most the upcall rate, shown
        # next to it.
        out["dpdk_insert_t%d_rate" % threads] = ins / max(now - first, 1e-3)
        out["dpdk_insert_t%d_dp" % threads] = (p.insert_flows
                                               / max(dp_done - first, 1e-3))
        out["dpdk_insert_t%d_lat" % threads] = lat
        out["dpdk_insert_t%d_sd" % threads] = sd
        out["dpdk_insert_t%d_rule_mean" % threads] = statistics.mean(lats)
        out["dpdk_insert_t%d_rule_p99" % threads] = percentile(lats, 99)
    return out


# (key, workload, unit, description, better)
METRICS = [
    ("setup_rate", "flow setup + offload", "flows/s",
     "N new megaflows until all offloaded", "higher"),
    ("setup_latency", "offload latency (mean)", "us",
     "request to completion, as reported", "lower"),
    ("fwd_offload_cycles", "forwarding, offload marks", "cycles/pkt",
     "PMD processing cycles per packet", "lower"),
    ("fwd_offload_phwol", "  share on the mark path", "fraction",
     "phwol hits / packets", "higher"),
    ("fwd_plain_cycles", "forwarding, offload off", "cycles/pkt",
     "PMD processing cycles per packet", "lower"),
    ("ir_offload", "datapath instr., marks", "instr/pkt",
     "callgrind, dp_netdev_input__", "lower"),
    ("ir_plain", "datapath instr., off", "instr/pkt",
     "callgrind, dp_netdev_input__", "lower"),
    ("churn_rate", "flow churn", "ops/s",
     "offload put+del completed per second", "higher"),
    ("churn_rss", "  peak RSS", "kB", "ovs-vswitchd VmHWM", "lower"),
    ("full_pps", "full offload, by provider", "pkt/s",
     "dummy provider forwards (patched only)", "higher"),
    ("full_pmd_pps", "  same flows, by the PMD", "pkt/s",
     "marks, the PMD forwards (patched only)", "higher"),
    ("limit_put", "layer only: flow put", "ns/op",
     "ovstest test-dpif-offload-bench", "lower"),
    ("limit_del", "layer only: flow del", "ns/op",
     "ovstest test-dpif-offload-bench", "lower"),
    ("limit_post", "layer only: post-process", "ns/pkt",
     "ovstest test-dpif-offload-bench", "lower"),
    ("limit_refused", "layer only: refused put", "ns/op",
     "a reason recorded (dpif/offload/why)", "lower"),
    ("limit_put_reasons", "layer only: put, 1,000 reasons", "ns/op",
     "a put forgets its flow's reason", "lower"),
    ("dpdk_off_k1_cpp", "DPDK K=1, offload off", "cycles/pkt",
     "PMD cycles / packets out (net_pcap->net_null)", "lower"),
    ("dpdk_off_k1_pps", "  packets/s", "pkt/s",
     "packets out per second, one PMD", "higher"),
    ("dpdk_partial_k1_cpp", "DPDK K=1, marks", "cycles/pkt",
     "PMD cycles / packets out (net_pcap->net_null)", "lower"),
    ("dpdk_partial_k1_pps", "  packets/s", "pkt/s",
     "packets out per second, one PMD", "higher"),
    ("dpdk_full_k1_cpp", "DPDK K=1, full, emulated", "cycles/pkt",
     "PMD cycles / packets out (net_pcap->net_null)", "lower"),
    ("dpdk_full_k1_pps", "  packets/s", "pkt/s",
     "packets out per second, one PMD", "higher"),
    ("dpdk_off_k1000_cpp", "DPDK K=1000, offload off", "cycles/pkt",
     "PMD cycles / packets out (net_pcap->net_null)", "lower"),
    ("dpdk_off_k1000_pps", "  packets/s", "pkt/s",
     "packets out per second, one PMD", "higher"),
    ("dpdk_partial_k1000_cpp", "DPDK K=1000, marks", "cycles/pkt",
     "PMD cycles / packets out (net_pcap->net_null)", "lower"),
    ("dpdk_partial_k1000_pps", "  packets/s", "pkt/s",
     "packets out per second, one PMD", "higher"),
    ("dpdk_full_k1000_cpp", "DPDK K=1000, full, emulated", "cycles/pkt",
     "PMD cycles / packets out (net_pcap->net_null)", "lower"),
    ("dpdk_full_k1000_pps", "  packets/s", "pkt/s",
     "packets out per second, one PMD", "higher"),
    ("dpdk_ir_off_k1", "DPDK K=1, off, instr.", "instr/pkt",
     "callgrind, dp_netdev_input__", "lower"),
    ("dpdk_ir_partial_k1", "DPDK K=1, marks, instr.", "instr/pkt",
     "callgrind, dp_netdev_input__", "lower"),
    ("dpdk_ir_off_k1000", "DPDK K=1000, off, instr.", "instr/pkt",
     "callgrind, dp_netdev_input__", "lower"),
    ("dpdk_ir_partial_k1000", "DPDK K=1000, marks, instr.", "instr/pkt",
     "callgrind, dp_netdev_input__", "lower"),
    ("dpdk_insert_t1_rate", "DPDK insertion, 1 thread", "flows/s",
     "first offload request to N inserted", "higher"),
    ("dpdk_insert_t1_dp", "  datapath flows/s (upcalls)", "flows/s",
     "first offload request to N datapath flows", "higher"),
    ("dpdk_insert_t1_lat", "  latency, mean", "us",
     "dpctl/offload-stats-show", "lower"),
    ("dpdk_insert_t1_sd", "  latency, stddev", "us",
     "dpctl/offload-stats-show", "lower"),
    ("dpdk_insert_t1_rule_mean", "  packet to rule, mean", "us",
     "net_pcap read to rte_flow_create, per flow", "lower"),
    ("dpdk_insert_t1_rule_p99", "  packet to rule, p99", "us",
     "net_pcap read to rte_flow_create, per flow", "lower"),
    ("dpdk_insert_t2_rate", "DPDK insertion, 2 threads", "flows/s",
     "first offload request to N inserted", "higher"),
    ("dpdk_insert_t2_dp", "  datapath flows/s (upcalls)", "flows/s",
     "first offload request to N datapath flows", "higher"),
    ("dpdk_insert_t2_lat", "  latency, mean", "us",
     "dpctl/offload-stats-show", "lower"),
    ("dpdk_insert_t2_sd", "  latency, stddev", "us",
     "dpctl/offload-stats-show", "lower"),
    ("dpdk_insert_t2_rule_mean", "  packet to rule, mean", "us",
     "net_pcap read to rte_flow_create, per flow", "lower"),
    ("dpdk_insert_t2_rule_p99", "  packet to rule, p99", "us",
     "net_pcap read to rte_flow_create, per flow", "lower"),
]


# Sizes of the full run and of the quick one (QUICK=1).
SIZES = {
    False: dict(rounds=5, flows=20000, packets=300000, churn_flows=1000,
                churn_seconds=10, limit_ops=1000000, ir_packets=20000,
                ir_rounds=2, dpdk_seconds=5, insert_flows=20000,
                dpdk_ir_seconds=20),
    True: dict(rounds=5, flows=2000, packets=30000, churn_flows=500,
               churn_seconds=3, limit_ops=200000, ir_packets=2000,
               ir_rounds=1, dpdk_seconds=1, insert_flows=5000,
               dpdk_ir_seconds=5),
}


def run_round(build, tree, p, round_no):
    results = {}
    steps = []
    if not p.only_dpdk:
        steps += [("setup", lambda: wl_setup(tree, p)),
                  ("forward-offload", lambda: wl_forward(tree, p, True)),
                  ("forward-plain", lambda: wl_forward(tree, p, False)),
                  ("churn", lambda: wl_churn(tree, p))]
        if round_no < p.ir_rounds:
            steps += [("instr-offload",
                       lambda: wl_forward_ir(tree, p, True)),
                      ("instr-plain", lambda: wl_forward_ir(tree, p, False))]
    if p.dpdk:
        steps += [("dpdk-forward", lambda: wl_dpdk_forward(tree, p)),
                  ("dpdk-insert", lambda: wl_dpdk_insert(tree, p))]
        if round_no < p.ir_rounds:
            steps.append(("dpdk-instr", lambda: wl_dpdk_ir(tree, p)))
    if build == "patched" and not p.only_dpdk:
        steps.append(("full-offload", lambda: wl_full(tree, p)))
        steps.append(("limit", lambda: wl_limit(tree, p)))
    for name, fn in steps:
        t = time.monotonic()
        try:
            results.update(fn())
        except BenchError as e:
            die("%s build, workload %s: %s" % (build, name, e))
        print("    %-8s %-16s %5.1fs" % (build, name, time.monotonic() - t),
              flush=True)
    return results


def spread(values):
    return "%.4g-%.4g" % (min(values), max(values))


def fmt(v):
    if v is None:
        return "n/a"
    if v >= 100:
        return "%.0f" % v
    return "%.3g" % v


def summarize(raw, p, machine):
    lines = []
    lines.append("ovs-dpif-offload benchmark, %s, %d rounds%s"
                 % (time.strftime("%Y-%m-%d"), p.rounds,
                    " (QUICK)" if p.quick else ""))
    lines.append("machine: %s" % machine)
    lines.append("N=%d setup flows, K=%d forwarding flows, M=%d packets, "
                 "churn %d flows x %ds, layer-only %d ops, callgrind %d "
                 "packets in %d round(s)"
                 % (p.flows, p.fwd_flows, p.packets, p.churn_flows,
                    p.churn_seconds, p.limit_ops, p.ir_packets, p.ir_rounds))
    if p.dpdk:
        lines.append("DPDK: K=%s flows over %gs, insertion of N=%d flows, "
                     "callgrind over %gs in %d round(s)"
                     % (" and ".join(str(k) for k in DPDK_KS),
                        p.dpdk_seconds, p.insert_flows, p.dpdk_ir_seconds,
                        min(p.ir_rounds, p.rounds)))
    lines.append("")
    hdr = ("%-31s %-10s %10s %10s %8s  %-19s %-19s"
           % ("workload", "unit", "base", "patched", "ratio",
              "base min-max", "patched min-max"))
    lines.append(hdr)
    lines.append("-" * len(hdr))
    rows = []
    for key, name, unit, _, better in METRICS:
        b = [r[key] for r in raw["base"] if key in r]
        q = [r[key] for r in raw["patched"] if key in r]
        bm = statistics.median(b) if b else None
        qm = statistics.median(q) if q else None
        ratio = qm / bm if bm and qm is not None else None
        rows.append({"metric": key, "workload": name.strip(), "unit": unit,
                     "better": better, "base_median": bm,
                     "patched_median": qm, "ratio": ratio,
                     "base_min": min(b) if b else None,
                     "base_max": max(b) if b else None,
                     "patched_min": min(q) if q else None,
                     "patched_max": max(q) if q else None})
        lines.append("%-31s %-10s %10s %10s %8s  %-19s %-19s"
                     % (name, unit, fmt(bm), fmt(qm),
                        "%.3f" % ratio if ratio is not None else "n/a",
                        spread(b) if b else "n/a", spread(q) if q else "n/a"))
    lines.append("")
    lines.append("ratio = patched median / base median; 'better' is "
                 "higher for rates and shares, lower for the rest.")
    return "\n".join(lines) + "\n", rows


def plot(rows, out_png):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("bench: gnuplot not found, no chart drawn", file=sys.stderr)
        return
    data = out_png + ".dat"
    with open(data, "w") as f:
        for r in rows:
            if r["ratio"] is not None:
                f.write('"%s (%s)" %f\n' % (r["workload"], r["better"],
                                            r["ratio"]))
    script = """
set terminal pngcairo size 900,500
set output '%s'
set title 'patched / base (median of rounds); 1.0 = no change'
set style fill solid 0.6
set boxwidth 0.6
set yrange [0:*]
set xtics rotate by -30 font ',9'
set grid ytics
unset key
plot '%s' using 0:2:xtic(1) with boxes, 1 with lines lc rgb 'black'
""" % (out_png, data)
    subprocess.run([gnuplot], input=script, text=True, check=True)
    os.unlink(data)


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 30
    return "%s, %d CPUs, %d GiB, Linux %s" % (cpu, os.cpu_count(), mem,
                                              os.uname().release)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="unpatched built tree")
    ap.add_argument("--patched", required=True, help="patched built tree")
    ap.add_argument("--out", required=True, help="results directory")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--flows", type=int, help="N, setup workload")
    ap.add_argument("--packets", type=int, help="M, forwarding workloads")
    ap.add_argument("--dpdk", action="store_true",
                    help="also the DPDK workloads (root, hugepages)")
    ap.add_argument("--only-dpdk", action="store_true",
                    help="only the DPDK workloads")
    ap.add_argument("--latency-lib",
                    help="bench-latency.so, for the DPDK insertion workload")
    p = ap.parse_args()
    p.dpdk = p.dpdk or p.only_dpdk

    p.fwd_flows = 64
    for key, value in SIZES[p.quick].items():
        if getattr(p, key, None) is None:
            setattr(p, key, value)
    if p.rounds < 1 or p.flows < 1 or p.packets < BATCH:
        ap.error("bad sizes")

    os.makedirs(p.out, exist_ok=True)
    if p.dpdk:
        p.emu_lib = os.path.join(os.path.abspath(p.patched), "tests",
                                 "librte-flow-emu.so")
        if not os.path.exists(p.emu_lib):
            ap.error("%s is missing" % p.emu_lib)
        if not p.latency_lib or not os.path.exists(p.latency_lib):
            ap.error("the DPDK workloads need --latency-lib")
        p.latency_lib = os.path.abspath(p.latency_lib)
        p.pcaps = {}
        for k in DPDK_KS:
            p.pcaps[k] = os.path.join(os.path.abspath(p.out),
                                      "dpdk-k%d.pcap" % k)
            write_pcap(p.pcaps[k], k)
        p.pcaps["insert"] = os.path.join(os.path.abspath(p.out),
                                         "dpdk-insert.pcap")
        write_pcap(p.pcaps["insert"], p.insert_flows, 1)
    trees = {"base": os.path.abspath(p.base),
             "patched": os.path.abspath(p.patched)}
    raw = {"base": [], "patched": []}
    start = time.monotonic()
    try:
        for r in range(p.rounds):
            order = ["base", "patched"] if r % 2 == 0 else ["patched", "base"]
            print("bench: round %d of %d" % (r + 1, p.rounds), flush=True)
            for build in order:
                raw[build].append(run_round(build, trees[build], p, r))
    except BenchError as e:
        print("bench: FAILED: %s" % e, file=sys.stderr)
        return 1

    machine = machine_info()
    text, rows = summarize(raw, p, machine)
    with open(os.path.join(p.out, "results.json"), "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "machine": machine, "quick": p.quick, "rounds": p.rounds,
                   "params": {k: getattr(p, k) for k in
                              ("flows", "fwd_flows", "packets",
                               "churn_flows", "churn_seconds", "limit_ops",
                               "ir_packets", "ir_rounds", "dpdk",
                               "dpdk_seconds", "insert_flows",
                               "dpdk_ir_seconds")},
                   "raw": raw, "summary": rows}, f, indent=1)
    with open(os.path.join(p.out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["build", "round", "metric", "value"])
        for build in ("base", "patched"):
            for i, res in enumerate(raw[build]):
                for k, v in sorted(res.items()):
                    w.writerow([build, i + 1, k, v])
    with open(os.path.join(p.out, "summary.txt"), "w") as f:
        f.write(text)
    plot(rows, os.path.join(p.out, "ratios.png"))
    print()
    print(text, end="")
    print("bench: %.0fs; raw results in %s/results.{csv,json}, chart "
          "ratios.png" % (time.monotonic() - start, p.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
