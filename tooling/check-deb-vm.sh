#!/bin/bash
# Runs in the test VM, as root (tooling/check-deb.sh starts it): installs
# Debian's own Open vSwitch packages of the base, configures them, upgrades
# to ours, and checks the switch as an operator would use it, started by the
# packaging's own init script.
#
#   check-deb-vm.sh OURS_DIR DEBIAN_DIR OUR_VERSION DEBIAN_VERSION
#
# The VM's root is the host's, read-only, under a tmpfs overlay
# (tooling/vm/init): no Open vSwitch is installed on it, and nothing
# installed here reaches the host.  Daemon logs are copied to $VM_SHARE on
# the way out.
set -uo pipefail

ours=$1 debian=$2 version=$3 debian_version=$4
PKGS="openvswitch-common openvswitch-switch python3-openvswitch"
n=0

say() { printf 'check-deb: %s\n' "$*"; }
step() { n=$((n + 1)); say "[$n] $*"; }
ok() { say "    ok: $*"; }
fail() {
    say "FAILED: $*"
    exit 1
}
save_logs() {
    mkdir -p "$VM_SHARE/logs"
    cp /var/log/openvswitch/*.log "$VM_SHARE/logs/" 2>/dev/null
    cp /var/log/dpkg.log "$VM_SHARE/logs/" 2>/dev/null
}
trap save_logs EXIT

# Runs "$@" until it succeeds, for up to $timeout seconds.
timeout=60
wait_for() {
    local i
    for ((i = 0; i < timeout * 2; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# The .deb files of packages $3... of version $2 in folder $1.
debs() {
    local dir=$1 v=$2 p f
    shift 2
    for p in "$@"; do
        f=$(ls "$dir/${p}_${v}_"*.deb 2>/dev/null | head -1 || true)
        [ -n "$f" ] || fail "no $p package in $dir"
        printf '%s\n' "$f"
    done
}

pkg_version() {
    dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null |
        sed -n 's/^ii *//p'
}

# The ports of provider $2 on datapath $1, from dpif/offload/show in JSON,
# sorted, one per line.
offload_ports() {
    ovs-appctl --format json dpif/offload/show |
        python3 -c 'import json, sys
d = json.load(sys.stdin)
p = d.get(sys.argv[1], {}).get("providers", {}).get(sys.argv[2], {})
print("\n".join(sorted(p.get("ports", {}))))' "$1" "$2"
}

init=/etc/init.d/openvswitch-switch

step "a clean system: no Open vSwitch installed"
command -v ovs-vswitchd >/dev/null && fail "ovs-vswitchd is already on this system"
for p in $PKGS openvswitch-switch-dpdk; do
    [ -z "$(pkg_version "$p")" ] || fail "$p is already installed"
done
# As in a container or a chroot: maintainer scripts start no services (the
# VM runs no init system); the checks start the switch with the init script.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
ok "none of $PKGS openvswitch-switch-dpdk"

step "install Debian's own packages, $debian_version"
files=$(debs "$debian" "$debian_version" $PKGS) || exit 1
dpkg -i $files > /tmp/dpkg-debian.log 2>&1 ||
    { cat /tmp/dpkg-debian.log; fail "dpkg -i of Debian's packages"; }
for p in $PKGS; do
    [ "$(pkg_version "$p")" = "$debian_version" ] ||
        fail "$p is '$(pkg_version "$p")', not $debian_version"
done
ok "$PKGS $debian_version"

step "start it with the init script ($init start)"
$init start || fail "$init start"
ovs-vsctl --timeout=30 show >/dev/null || fail "ovs-vsctl show"
v=$(ovs-vsctl get Open_vSwitch . ovs_version)
[ "$v" = '"3.1.0"' ] || fail "Debian's ovs_version is $v"
ok "running, ovs_version $v"

step "configure it: a bridge, keys, an edited conffile"
ovs-vsctl add-br br-keep \
    -- add-port br-keep keep0 -- set Interface keep0 type=internal \
    -- set Open_vSwitch . external_ids:check-deb=kept \
       other_config:max-idle=20000 ||
    fail "configuring Debian's switch"
uuid=$(ovs-vsctl get Open_vSwitch . _uuid)
system_id=$(ovs-vsctl get Open_vSwitch . external_ids:system-id)
echo '# check-deb: an operator edit' >> /etc/default/openvswitch-switch
ok "Open_vSwitch $uuid, system-id $system_id, bridge br-keep"

step "upgrade to ours, $version, while it runs"
files=$(debs "$ours" "$version" $PKGS openvswitch-switch-dpdk) || exit 1
dpkg -i $files > /tmp/dpkg-ours.log 2>&1 ||
    { cat /tmp/dpkg-ours.log; fail "dpkg -i of our packages"; }
for p in $PKGS openvswitch-switch-dpdk; do
    [ "$(pkg_version "$p")" = "$version" ] ||
        fail "$p is '$(pkg_version "$p")', not $version"
done
# What the postinst would do where services may start.
$init restart || fail "$init restart"
ovs-vsctl --timeout=30 show >/dev/null || fail "ovs-vsctl show after the upgrade"
ok "$PKGS openvswitch-switch-dpdk $version, restarted"

step "the programs, the daemon and the database name our version"
want="ovs-vswitchd (Open vSwitch) $version"
got=$(ovs-vswitchd --version | head -1)
[ "$got" = "$want" ] || fail "ovs-vswitchd --version: '$got', expected '$want'"
got=$(ovs-appctl version | head -1)
[ "$got" = "$want" ] || fail "the running daemon says '$got', expected '$want'"
got=$(ovs-vsctl --version | head -1)
[ "$got" = "ovs-vsctl (Open vSwitch) $version" ] || fail "ovs-vsctl --version: '$got'"
v=$(ovs-vsctl get Open_vSwitch . ovs_version)
[ "$v" = "\"$version\"" ] || fail "ovs_version is $v, expected \"$version\""
ok "$want; ovs_version $v"

step "the upgrade kept the database and the configuration"
[ "$(ovs-vsctl get Open_vSwitch . _uuid)" = "$uuid" ] ||
    fail "Open_vSwitch row $(ovs-vsctl get Open_vSwitch . _uuid), was $uuid: a new database"
[ "$(ovs-vsctl get Open_vSwitch . external_ids:system-id)" = "$system_id" ] ||
    fail "system-id changed"
[ "$(ovs-vsctl get Open_vSwitch . external_ids:check-deb)" = kept ] ||
    fail "external_ids:check-deb lost"
[ "$(ovs-vsctl get Open_vSwitch . other_config:max-idle)" = '"20000"' ] ||
    fail "other_config:max-idle lost"
[ "$(ovs-vsctl list-ports br-keep)" = keep0 ] || fail "br-keep's port keep0 lost"
grep -q '^# check-deb: an operator edit' /etc/default/openvswitch-switch ||
    fail "the edited /etc/default/openvswitch-switch was replaced"
[ -L /etc/openvswitch/conf.db ] && [ -f /var/lib/openvswitch/conf.db ] ||
    fail "/etc/openvswitch/conf.db is not the link to /var/lib/openvswitch"
ok "same database ($uuid), keys, bridge, conffile"

step "hw-offload=true, a kernel bridge with two veth ports in namespaces"
ovs-vsctl set Open_vSwitch . other_config:hw-offload=true ||
    fail "setting hw-offload"
ovs-vsctl del-br br-keep
for i in 1 2; do
    ip netns add ns$i
    ip link add p$i type veth peer name eth0 netns ns$i
    ip link set p$i up
    ip -n ns$i addr add 10.1.1.$i/24 dev eth0
    ip -n ns$i link set eth0 up
    ip -n ns$i link set lo up
done
ovs-vsctl add-br br0 -- add-port br0 p1 -- add-port br0 p2 ||
    fail "adding br0"
[ "$(ovs-vsctl get Bridge br0 datapath_type)" = '""' ] ||
    fail "br0 is not on the kernel datapath"
wait_for ovs-appctl dpctl/show system@ovs-system ||
    fail "no kernel datapath"
ok "br0 on system@ovs-system with p1 and p2"

step "ping across"
ip netns exec ns1 ping -q -c 3 -i 0.3 -W 5 10.1.1.2 ||
    fail "no ping from ns1 to ns2 across br0"
ok "3 of 3 replies"

step "dpif/offload/show lists the tc provider with the ports"
ports=$(offload_ports system@ovs-system tc | paste -sd' ')
say "    tc ports: $ports"
for p in p1 p2; do
    case " $ports " in
        *" $p "*) ;;
        *) ovs-appctl dpif/offload/show; fail "$p is not a port of tc";;
    esac
done
ovs-appctl dpif/offload/show
ok "tc has p1 and p2"

step "dpctl/dump-flows type=tc shows the offloaded flows"
ip netns exec ns1 ping -q -c 2 -i 0.3 -W 5 10.1.1.2 >/dev/null ||
    fail "second ping"
tc_flows=$(ovs-appctl dpctl/dump-flows type=tc)
printf '%s\n' "$tc_flows" | sed 's/^/    /'
# The ping's two IPv4 flows, one per direction, are tc flower filters.  A
# veth has no hardware: they are in tc's software path, "dp:tc" without
# "offloaded:yes" (which says in hardware).
n_ipv4=$(printf '%s\n' "$tc_flows" | grep -c 'eth_type(0x0800)')
[ "$n_ipv4" = 2 ] || fail "$n_ipv4 IPv4 flows in tc, expected 2"
n_ipv4=$(ovs-appctl dpctl/dump-flows -m | grep 'eth_type(0x0800)' |
             grep -c ', dp:tc, actions:')
[ "$n_ipv4" = 2 ] || fail "$n_ipv4 IPv4 flows with dp:tc in dpctl/dump-flows -m, expected 2"
ok "$(printf '%s\n' "$tc_flows" | grep -c .) flows in tc, both IPv4 flows with dp:tc"

step "the dpdk flavour: update-alternatives to ovs-vswitchd-dpdk"
update-alternatives --set ovs-vswitchd \
    /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk || fail "update-alternatives"
ovs-vswitchd --version | grep '^DPDK 22.11' >/dev/null ||
    fail "/usr/sbin/ovs-vswitchd is not the DPDK build"
# DPDK's memory: 2 MB hugepages on the hugetlbfs the VM mounts.
echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)" -ge 512 ] ||
    fail "could not reserve 512 hugepages in the VM"
ovs-vsctl set Open_vSwitch . other_config:dpdk-init=true \
    other_config:dpdk-extra="--no-pci" || fail "dpdk-init"
$init restart || fail "$init restart with the DPDK build"
timeout=180 wait_for eval '[ "$(ovs-vsctl get Open_vSwitch . dpdk_initialized)" = true ]' ||
    fail "DPDK did not initialize"
ok "$(ovs-appctl version | head -1), DPDK initialized"

step "a bridge on the userspace datapath with a DPDK software port"
ovs-vsctl add-br br-dpdk -- set Bridge br-dpdk datapath_type=netdev \
    -- add-port br-dpdk dpdk0 -- set Interface dpdk0 type=dpdk \
       options:dpdk-devargs=net_null0 || fail "adding br-dpdk"
timeout=120 wait_for eval '[ "$(ovs-vsctl get Interface dpdk0 ofport)" -gt 0 ]' ||
    fail "dpdk0 has no OpenFlow port: $(ovs-vsctl get Interface dpdk0 error)"
ok "dpdk0 (net_null0) is port $(ovs-vsctl get Interface dpdk0 ofport)"

step "dpif/offload/show lists the dpdk provider with the port"
timeout=60 wait_for eval '[ "$(offload_ports netdev@ovs-netdev dpdk)" = dpdk0 ]' || {
    ovs-appctl dpif/offload/show
    fail "dpdk0 is not a port of the dpdk provider"
}
ovs-appctl dpif/offload/show
ports=$(offload_ports system@ovs-system tc | paste -sd' ')
case " $ports " in
    *" p1 "*) ;;
    *) fail "the kernel datapath's tc ports are gone with the DPDK build: $ports";;
esac
ok "dpdk has dpdk0; tc still has $ports"

step "stop it with the init script"
$init stop || fail "$init stop"
! pidof ovs-vswitchd ovsdb-server >/dev/null || fail "daemons still running"
ok "stopped"
say "all checks passed"
