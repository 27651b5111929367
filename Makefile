# ovs-dpif-offload: one entry point for everything.  'make help' lists it.

SHELL := /bin/bash
T := tooling

# Passed through to the OVS testsuite, e.g. TESTSUITEFLAGS='-k offload'.
export TESTSUITEFLAGS

.PHONY: help deps tree build export check check-fast check-base check-dpdk \
        check-dpdk-offloads check-kernel check-offloads \
        check-experimental-api check-asan check-valgrind-offload soak bench \
        demo sandbox checkpatch deb check-deb clean distclean

help:
	@echo "make demo         build if needed, then run the offload demo in a sandbox"
	@echo "make check        build if needed, then run the full OVS testsuite"
	@echo "make check-fast   a subset: TESTSUITEFLAGS='-k offload' by default"
	@echo "make check-base   show that tooling/known-failures fail on unpatched 3.1.0"
	@echo "make check-dpdk   OVS's DPDK system tests, as root, with software devices"
	@echo "make check-dpdk-offloads"
	@echo "                  the rte_flow offload tests, as root, no NIC (emulated)"
	@echo "make check-kernel OVS's kernel datapath tests (in VMs when this kernel"
	@echo "                  has no openvswitch module; BASE=1: the known failures"
	@echo "                  on the unpatched base, BASE=all: all of it there)"
	@echo "make check-experimental-api"
	@echo "                  build the DPDK offload code with ALLOW_EXPERIMENTAL_API"
	@echo "make check-asan   the offload unit tests built with ASan and UBSan"
	@echo "                  (build/asan), leaks included"
	@echo "make check-valgrind-offload"
	@echo "                  the same tests under valgrind (slow, not in make check)"
	@echo "make soak         the churn soak test for SOAK_SECONDS (600); ASAN=1:"
	@echo "                  in the ASan/UBSan build"
	@echo "make check-offloads"
	@echo "                  the tc flower offload tests, likewise"
	@echo "make bench        patched vs unpatched 3.1.0, side by side (QUICK=1: short)"
	@echo "make sandbox      an interactive shell next to a sandboxed ovs-vswitchd"
	@echo "make deb          Debian packages of the patched switch in build/deb"
	@echo "                  (Debian's packaging + the series as quilt patches)"
	@echo "make check-deb    install them in the test VM, upgrading from Debian's"
	@echo "                  own 3.1.0, and check them there (and with lintian)"
	@echo "make deps         install the Debian packages (needs root or sudo)"
	@echo "make tree         materialize build/ovs: base + patches/ (FORCE=1 to"
	@echo "                  replace a tree that has unexported commits)"
	@echo "make build        configure and build build/ovs (incremental)"
	@echo "make export       write build/ovs's commits back to patches/"
	@echo "make checkpatch   run utilities/checkpatch.py on every patch"
	@echo "make clean        remove build/ (refuses if build/ovs has unexported work)"

deps:
	@$(T)/deps.sh

tree: deps
	@$(T)/tree.sh $(if $(FORCE),--force)

# The build uses the tree as it is when it has unexported commits.
build: deps
	@$(T)/tree.sh --auto
	@$(T)/build.sh

export:
	@$(T)/export.sh

check: deps
	@$(T)/check.sh

check-fast: deps
	@TESTSUITEFLAGS="$${TESTSUITEFLAGS:--k offload}" $(T)/check.sh

check-base: deps
	@$(T)/check.sh --base

check-dpdk: deps
	@$(T)/check-dpdk.sh

check-experimental-api: build
	@$(T)/check-experimental-api.sh

check-dpdk-offloads: deps
	@$(T)/check-dpdk.sh --offloads

check-asan: deps
	@$(T)/check-asan.sh

check-valgrind-offload: deps
	@$(T)/check-valgrind-offload.sh

soak: deps
	@$(T)/soak.sh $(if $(ASAN),--asan)

# BASE=1 runs tooling/known-failures-kernel (-offloads) on the unpatched
# base, BASE=all the whole suite there.
KERNEL_BASE = $(if $(filter all,$(BASE)),--base-all,$(if $(BASE),--base))

check-kernel: deps
	@$(T)/check-kernel.sh $(KERNEL_BASE)

check-offloads: deps
	@$(T)/check-kernel.sh --offloads $(KERNEL_BASE)

bench: deps
	@$(T)/bench.sh $(if $(QUICK),--quick)

demo: build
	@$(T)/demo.sh

sandbox: build
	@$(T)/sandbox.sh

deb:
	@$(T)/deps.sh $(T)/packages-deb
	@$(T)/deb.sh $(if $(FORCE),--force)

check-deb: deb
	@$(T)/check-deb.sh

checkpatch:
	@$(T)/checkpatch.sh

clean:
	@$(T)/tree.sh --check-clean
	rm -rf build

distclean: clean
