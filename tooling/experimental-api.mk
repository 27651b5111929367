# Compiles the sources whose rte_flow tunnel offload code only exists with
# DPDK's experimental API (ALLOW_EXPERIMENTAL_API, which Debian's build
# does not set) with the tree's own compiler flags plus that define.  Used
# by tooling/check-experimental-api.sh next to the tree's Makefile; the
# objects go to $(EXPERIMENTAL_OUT), never into the tree.
EXPERIMENTAL_SOURCES = lib/dpif-offload-dpdk-netdev.c lib/dpif-offload-dpdk.c \
                       lib/netdev-dpdk.c
EXPERIMENTAL_OBJECTS = $(patsubst lib/%.c,$(EXPERIMENTAL_OUT)/%.o,\
                                  $(EXPERIMENTAL_SOURCES))

check-experimental-api: $(EXPERIMENTAL_OBJECTS)

$(EXPERIMENTAL_OUT)/%.o: lib/%.c
	$(COMPILE) -DALLOW_EXPERIMENTAL_API -c -o $@ $<
