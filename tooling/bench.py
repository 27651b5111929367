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

    def __init__(self, tree, other_config, wrapper=()):
        self.tree = os.path.abspath(tree)
        self.wrapper = list(wrapper)
        self.dir = tempfile.mkdtemp(prefix="ovs-bench.")
        # Under a wrapper (callgrind) ovs-vswitchd runs tens of times
        # slower: adding the bridge's PMD ports alone can take longer than
        # 30 s on a 2-core machine.  The workloads keep their own limits.
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir,
                        OVS_DBDIR=self.dir, OVS_SYSCONFDIR=self.dir,
                        OVS_PKGDATADIR=self.tree,
                        OVS_CTL_TIMEOUT="300" if self.wrapper else "30")
        self.vswitchd = None
        try:
            self._start(other_config)
        except BaseException:
            self.stop()
            raise

    def run(self, *args, wrapper=()):
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
                                     env=self.env, cwd=self.dir, stdout=log,
                                     stderr=subprocess.STDOUT)
            if res.returncode:
                die("%s failed" % " ".join(args))
            return ""
        res = subprocess.run([path] + list(args[1:]), env=self.env,
                             cwd=self.dir, capture_output=True, text=True)
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
        self.run("ovs-vswitchd", "--enable-dummy", "--disable-system",
                 "--disable-system-route", "--detach", "--no-chdir",
                 "--pidfile", "--log-file", "-vconsole:off",
                 wrapper=self.wrapper)
        self.pid = self._pid("ovs-vswitchd")
        self.vswitchd = Unixctl(os.path.join(
            self.dir, "ovs-vswitchd.%d.ctl" % self.pid))

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

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "ovs-vswitchd.log")) as f:
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
        pids = []
        for daemon in ("ovs-vswitchd", "ovsdb-server"):
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


def dp_flows(sb):
    text = sb.appctl("dpctl/show", "dummy@ovs-dummy")
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
        path = os.path.join(outdir, "callgrind.%d" % pid)
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                with open(path) as f:
                    m = re.search(r"^totals:\s*(\d+)", f.read(), re.M)
                if m:
                    return int(m.group(1))
            except OSError:
                pass
            if time.monotonic() > deadline:
                die("no callgrind totals in " + path)
            time.sleep(0.2)
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
]


# Sizes of the full run and of the quick one (QUICK=1).
SIZES = {
    False: dict(rounds=5, flows=20000, packets=300000, churn_flows=1000,
                churn_seconds=10, limit_ops=1000000, ir_packets=20000,
                ir_rounds=2),
    True: dict(rounds=5, flows=2000, packets=30000, churn_flows=500,
               churn_seconds=3, limit_ops=200000, ir_packets=2000,
               ir_rounds=1),
}


def run_round(build, tree, p, round_no):
    results = {}
    steps = [("setup", lambda: wl_setup(tree, p)),
             ("forward-offload", lambda: wl_forward(tree, p, True)),
             ("forward-plain", lambda: wl_forward(tree, p, False)),
             ("churn", lambda: wl_churn(tree, p))]
    if round_no < p.ir_rounds:
        steps += [("instr-offload", lambda: wl_forward_ir(tree, p, True)),
                  ("instr-plain", lambda: wl_forward_ir(tree, p, False))]
    if build == "patched":
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
    p = ap.parse_args()

    p.fwd_flows = 64
    for key, value in SIZES[p.quick].items():
        if getattr(p, key, None) is None:
            setattr(p, key, value)
    if p.rounds < 1 or p.flows < 1 or p.packets < BATCH:
        ap.error("bad sizes")

    os.makedirs(p.out, exist_ok=True)
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
                               "ir_packets", "ir_rounds")},
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
