# Start and stop a throw-away Open vSwitch (ovsdb-server + ovs-vswitchd
# --enable-dummy) from a built tree, in a temporary directory.  No kernel
# module, no NIC and no root needed.  Sourced by demo.sh and sandbox.sh.

# sandbox_start TREE: sets SANDBOX and exports the OVS_* variables and PATH
# so that ovs-vsctl, ovs-appctl, ovs-ofctl talk to the sandboxed daemons.
sandbox_start() {
    local tree=$1
    SANDBOX=$(mktemp -d "${TMPDIR:-/tmp}/ovs-sandbox.XXXXXX")
    trap sandbox_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export OVS_RUNDIR=$SANDBOX OVS_LOGDIR=$SANDBOX OVS_DBDIR=$SANDBOX \
           OVS_SYSCONFDIR=$SANDBOX OVS_PKGDATADIR=$tree
    export PATH=$tree/utilities:$tree/vswitchd:$tree/ovsdb:$PATH
    export OVS_CTL_TIMEOUT=30

    ovsdb-tool create "$SANDBOX/conf.db" "$tree/vswitchd/vswitch.ovsschema"
    ovsdb-server --detach --no-chdir --pidfile --log-file -vconsole:off \
        --remote=punix:"$SANDBOX/db.sock" "$SANDBOX/conf.db"
    ovs-vsctl --no-wait init
    ovs-vswitchd --enable-dummy --disable-system --disable-system-route \
        --detach --no-chdir --pidfile --log-file -vconsole:off \
        -vdpif_offload_dummy:file:dbg -vdpif_netdev:file:dbg
    echo "sandbox: ovsdb-server and ovs-vswitchd running in $SANDBOX"
}

sandbox_stop() {
    local rc=$? d
    trap - EXIT INT TERM
    [ -n "${SANDBOX:-}" ] && [ -d "$SANDBOX" ] || return $rc
    for d in ovs-vswitchd ovsdb-server; do
        if [ -f "$SANDBOX/$d.pid" ]; then
            ovs-appctl -t "$SANDBOX/$d.$(cat "$SANDBOX/$d.pid").ctl" exit \
                >/dev/null 2>&1 ||
                kill "$(cat "$SANDBOX/$d.pid")" 2>/dev/null || true
        fi
    done
    sleep 0.2
    for d in ovs-vswitchd ovsdb-server; do
        [ -f "$SANDBOX/$d.pid" ] && kill -9 "$(cat "$SANDBOX/$d.pid")" 2>/dev/null || true
    done
    if [ "${KEEP_SANDBOX:-}" = 1 ]; then
        echo "sandbox: stopped; logs kept in $SANDBOX"
    else
        rm -rf "$SANDBOX"
        echo "sandbox: stopped and removed"
    fi
    exit $rc
}
