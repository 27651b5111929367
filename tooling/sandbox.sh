#!/usr/bin/env bash
# An interactive shell next to a sandboxed ovsdb-server + ovs-vswitchd
# (--enable-dummy), like Open vSwitch's own 'make sandbox'.  Leave the shell
# to stop the daemons and remove the sandbox.
. "$(dirname "$0")/lib.sh"
. "$TOOLING/sandbox-lib.sh"

[ -x "$TREE/vswitchd/ovs-vswitchd" ] || die "no ovs-vswitchd in ${TREE#$TOP/}: run 'make build'"
sandbox_start "$TREE"
cat <<EOF

You are in a sandbox: ovs-vsctl, ovs-ofctl and ovs-appctl reach the daemons
running in $SANDBOX (logs: \$OVS_LOGDIR/ovs-vswitchd.log).
Try:
  ovs-vsctl add-br br0 -- set bridge br0 datapath-type=dummy
  ovs-vsctl add-port br0 p1 -- set interface p1 type=dummy
  ovs-vsctl set Open_vSwitch . other_config:hw-offload=true
  ovs-appctl dpctl/dump-flows -m
Leave the shell (exit or Ctrl-D) to stop everything.

EOF
set +e
PS1='[ovs-sandbox] \w\$ ' bash --norc -i
