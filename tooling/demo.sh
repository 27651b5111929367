#!/usr/bin/env bash
# The demo: a sandboxed switch on the userspace datapath with dummy ports and
# hardware offload enabled; a few packets go through it, then it shows what
# was offloaded and where.  Everything it starts is stopped at the end, also
# on Ctrl-C or error.
. "$(dirname "$0")/lib.sh"
. "$TOOLING/sandbox-lib.sh"

[ -x "$TREE/vswitchd/ovs-vswitchd" ] || die "no ovs-vswitchd in ${TREE#$TOP/}: run 'make build'"

if [ -t 1 ]; then
    step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
else
    step() { printf '\n$ %s\n' "$*"; "$@"; }
fi

sandbox_start "$TREE"

ovs-vsctl \
    -- add-br br0 \
    -- set bridge br0 datapath-type=dummy fail-mode=secure \
    -- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 \
                          options:ifindex=1101 \
    -- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2 \
                          options:ifindex=1102 \
    -- add-port br0 p3 -- set interface p3 type=dummy ofport_request=3 \
                          other_config:hw-offload-priority=dummy_x \
    -- add-port br0 p4 -- set interface p4 type=dummy ofport_request=4 \
                          other_config:hw-offload-priority=none
echo "Bridge br0 (userspace datapath, type dummy) with dummy ports p1 to p4;"
echo "p3 asks for the dummy_x offload provider, p4 for none."
step ovs-vsctl set Open_vSwitch . other_config:hw-offload=true
for _ in $(seq 50); do
    grep -q "Flow HW offload is enabled" "$SANDBOX/ovs-vswitchd.log" && break
    sleep 0.1
done
step ovs-ofctl add-flow br0 "in_port=1,actions=output:2"
step ovs-ofctl add-flow br0 "in_port=2,actions=output:1"

# Three flows from p1 (three source addresses) and one from p2, each sent
# twice: the first packet of a flow takes the upcall path and installs the
# flow (and offloads it); the second one can match the offloaded flow.
pkt() {
    printf 'in_port(%s),eth(src=%s,dst=%s),eth_type(0x0800),ipv4(src=%s,dst=%s,proto=17,tos=0,ttl=64,frag=no),udp(src=%s,dst=%s)' "$@"
}
echo
echo "Sending 8 packets with 'ovs-appctl netdev-dummy/receive'."
for round in 1 2; do
    for i in 1 2 3; do
        ovs-appctl netdev-dummy/receive p1 \
            "$(pkt 1 "00:00:00:00:01:0$i" 00:00:00:00:02:01 "10.0.0.$i" 10.0.0.100 1000 80)" \
            --len 128 >/dev/null
    done
    ovs-appctl netdev-dummy/receive p2 \
        "$(pkt 2 00:00:00:00:02:01 00:00:00:00:01:01 10.0.0.100 10.0.0.1 80 1000)" \
        --len 128 >/dev/null
    ovs-appctl revalidator/wait
    sleep 0.5
done

step ovs-appctl dpctl/dump-flows -m
if ovs-appctl list-commands | grep -q 'dpif/offload/show'; then
    step ovs-appctl dpif/offload/show
    step ovs-appctl --format json --pretty dpif/offload/show
    step ovs-appctl dpif/offload/classes
else
    printf '\n(dpif/offload/show does not exist in this build yet)\n'
fi
step ovs-appctl dpctl/offload-stats-show
if ovs-appctl list-commands | grep -q 'dpif-offload-dummy/stats'; then
    step ovs-appctl dpif-offload-dummy/stats
fi
step ovs-appctl dpif-netdev/pmd-stats-show
step ovs-ofctl dump-flows br0

log=$SANDBOX/ovs-vswitchd.log
echo
echo "From ovs-vswitchd.log:"
grep -E 'Flow HW offload is enabled|dpif_offload\|' "$log" |
    sed 's/^[^|]*|[^|]*|/  /' || true
printf '  %d flows offloaded (by the dummy provider, each with a mark)\n' \
    "$(grep -c 'succeed to add netdev flow' "$log" || true)"
printf '  %d received packets carried the mark of an offloaded flow\n' \
    "$(grep -c 'matches with flow' "$log" || true)"
