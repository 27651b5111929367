/*
 * bench-latency.so: per-flow offload latency for 'make bench', in either
 * build, without changing it.  Preloaded into ovs-vswitchd before the
 * rte_flow emulator, it notes two moments per flow of the DPDK insertion
 * workload, whose pcap holds one packet per flow with the flow's index in
 * the source MAC (02:00:ii:ii:ii:ii, bench.py's packet_hex()):
 *
 *   - when net_pcap reads the flow's packet (pcap_next_ex(), called by the
 *     PMD's receive burst: librte_net_pcap calls libpcap);
 *   - when the offload thread creates the flow's first rte_flow rule
 *     (rte_flow_create() returning a rule whose ETH item matches the
 *     source MAC exactly, with an explicit mask, as Open vSwitch always
 *     gives; a rule re-created later, on a flow's modification, is not
 *     noted).
 *
 * Both go, as CLOCK_MONOTONIC nanoseconds, into a file that bench.py
 * creates and reads (OVS_BENCH_LATENCY_FILE, OVS_BENCH_LATENCY_FLOWS
 * slots of two uint64_t, zero until noted), mapped shared, so that
 * nothing but a clock read (vDSO) is added per packet and per rule.
 *
 * dpctl/offload-stats-show reports a mean and a standard deviation of the
 * offload latency only, in both builds; a uprobe on the line that
 * computes it would give every request's latency, but costs about 28 us
 * per hit on the project's VMs, which slowed the insertion threefold.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rte_flow.h>

struct slot {
    uint64_t rx_ns;             /* Packet read by net_pcap. */
    uint64_t rule_ns;           /* First rte_flow rule created. */
};

static struct slot *slots;
static uint32_t n_slots;

static int (*real_pcap_next_ex)(void *, void **, const unsigned char **);
static __typeof__(rte_flow_create) *real_flow_create;

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The flow index that a source MAC carries, or UINT32_MAX. */
static uint32_t
mac_index(const uint8_t mac[6])
{
    uint32_t idx;

    if (mac[0] != 0x02 || mac[1] != 0x00) {
        return UINT32_MAX;
    }
    idx = (uint32_t) mac[2] << 24 | mac[3] << 16 | mac[4] << 8 | mac[5];
    return idx < n_slots ? idx : UINT32_MAX;
}

static void
note(uint64_t *when)
{
    uint64_t zero = 0;

    __atomic_compare_exchange_n(when, &zero, now_ns(), false,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void
bench_latency_init(void)
{
    const char *path = getenv("OVS_BENCH_LATENCY_FILE");
    const char *n = getenv("OVS_BENCH_LATENCY_FLOWS");
    size_t size;
    void *map;
    int fd;

    real_flow_create = dlvsym(RTLD_NEXT, "rte_flow_create", "DPDK_23");
    if (!real_flow_create) {
        real_flow_create = dlsym(RTLD_NEXT, "rte_flow_create");
    }
    if (!path || !n || !atoi(n)) {
        return;
    }
    size = (size_t) atoi(n) * sizeof *slots;
    fd = open(path, O_RDWR);
    if (fd < 0) {
        return;
    }
    map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map != MAP_FAILED) {
        slots = map;
        n_slots = atoi(n);
    }
}

/* libpcap comes with net_pcap, which DPDK loads with dlopen() after this
 * library's constructor: looked up at the first call, in libpcap itself
 * (RTLD_NEXT searches only the global scope, which libpcap is not in). */
static void
resolve_pcap_next_ex(void)
{
    void *lib = dlopen("libpcap.so.0.8", RTLD_LAZY | RTLD_NOLOAD);
    void *sym = lib ? dlsym(lib, "pcap_next_ex") : NULL;

    if (!sym) {
        const char *err = dlerror();

        fprintf(stderr, "bench-latency.so: no pcap_next_ex() in "
                "libpcap.so.0.8 (Debian's soname): %s\n",
                err ? err : "library not loaded");
        abort();
    }
    __atomic_store_n(&real_pcap_next_ex, sym, __ATOMIC_RELEASE);
}

int
pcap_next_ex(void *p, void **header, const unsigned char **data)
{
    uint32_t idx;
    int ret;

    if (!__atomic_load_n(&real_pcap_next_ex, __ATOMIC_ACQUIRE)) {
        resolve_pcap_next_ex();
    }
    ret = real_pcap_next_ex(p, header, data);

    if (ret == 1 && slots) {
        idx = mac_index(*data + 6);
        if (idx != UINT32_MAX) {
            note(&slots[idx].rx_ns);
        }
    }
    return ret;
}

struct rte_flow *
rte_flow_create(uint16_t port_id, const struct rte_flow_attr *attr,
                const struct rte_flow_item pattern[],
                const struct rte_flow_action actions[],
                struct rte_flow_error *error)
{
    struct rte_flow *flow = real_flow_create(port_id, attr, pattern,
                                             actions, error);
    static const uint8_t exact[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    const struct rte_flow_item *item;

    if (!flow || !slots) {
        return flow;
    }
    for (item = pattern; item->type != RTE_FLOW_ITEM_TYPE_END; item++) {
        const struct rte_flow_item_eth *spec = item->spec;
        const struct rte_flow_item_eth *mask = item->mask;
        uint32_t idx;

        if (item->type != RTE_FLOW_ITEM_TYPE_ETH || !spec || !mask
            || memcmp(mask->src.addr_bytes, exact, sizeof exact)) {
            continue;
        }
        idx = mac_index(spec->src.addr_bytes);
        if (idx != UINT32_MAX) {
            note(&slots[idx].rule_ns);
        }
        break;
    }
    return flow;
}
