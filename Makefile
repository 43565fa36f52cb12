# rvs top-level Makefile. Every target installs what it needs first.
#
#   make demo             prepare everything, run the demo in a VM
#   make demo-cluster     three directors behind a router; one dies under load
#   make check            prepare everything, run all tests (host + VM)
#   make modules          build rvs.ko and toa.ko (FLAVOUR=debug|bench, or KDIR=...)
#   make modules_install  install them into the running kernel's tree (or KDIR's) + depmod
#   make kernel           prepare the cached test kernel (FLAVOUR)
#   make host             build the host crates (rvsadm, rvs_core tests)
#   make vm CMD='...'     run a command in the test VM
#   make bench            rvs against forwarding, IPVS and nf_synproxy (bench kernel, VM)
#
# When Kbuild runs this folder as an external module, it reads Kbuild, not
# this file.

FLAVOUR ?= debug
export FLAVOUR

.PHONY: all deps kernel modules host check demo demo-cluster vm modules_install clean bench

all: modules host

deps:
	@scripts/install-deps

kernel: deps
	@scripts/prepare-kernel $(FLAVOUR)

modules: deps
	@scripts/build-modules $(FLAVOUR)

host: deps
	cargo build --workspace --release

check: deps
	@scripts/build-modules $(FLAVOUR) >/dev/null
	cargo build --release -p rvsadm
	tests/run

demo: deps
	scripts/vm-run --tcg single scripts/demo

demo-cluster: deps
	cargo build --release -p rvsadm
	scripts/vm-run --tcg single --timeout 900 scripts/demo-cluster

bench: deps
	scripts/bench

vm: deps
	scripts/vm-run '$(CMD)'

modules_install: deps
	@d=$$(scripts/build-modules $(FLAVOUR)) && kdir=$$(cat $$d/.kdir) && \
	  $(MAKE) -C $$kdir M=$$d modules_install && \
	  depmod -a $$(cat $$kdir/include/config/kernel.release)

clean:
	rm -rf build target
