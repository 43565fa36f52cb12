# rvs top-level Makefile. Every target installs what it needs first.
#
#   make demo             prepare everything, run the demo in a VM
#   make demo-cluster     three directors behind a router; one dies under load
#   make check            prepare everything, run all tests (host + VM);
#                         FLAVOUR=kasan: the VM suite on the KASAN+UBSAN kernel
#   make soak             30 min of mixed traffic and churn, then checks (SOAK_MIN=N; FLAVOUR)
#   make modules          build rvs.ko and toa.ko (FLAVOUR=debug|bench|kasan, or KDIR=...)
#   make modules_install  install them into the running kernel's tree (or KDIR's) + depmod
#   make kernel           prepare the cached test kernel (FLAVOUR)
#   make host             build the host crates (rvsadm, rvs_core tests)
#   make vm CMD='...'     run a command in the test VM
#   make bench            rvs against forwarding, IPVS and nf_synproxy (bench kernel, VM)
#   make packages         rvs-modules-<release> and rvs .deb for the test kernel (or KDIR=...)
#   make kernel-package   a director kernel as packages from a distribution's configuration
#                         (CONFIG=FILE, default /boot/config-$(uname -r) or Debian's;
#                         TRIM=1 for a director's modules only)
#
# When Kbuild runs this folder as an external module, it reads Kbuild, not
# this file.

FLAVOUR ?= debug
export FLAVOUR

.PHONY: all deps kernel modules host check soak demo demo-cluster vm modules_install clean bench packages kernel-package

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

soak: deps
	scripts/soak $(SOAK_MIN)

demo: deps
	scripts/vm-run --tcg single scripts/demo

demo-cluster: deps
	cargo build --release -p rvsadm
	scripts/vm-run --tcg single --timeout 900 scripts/demo-cluster

bench: deps
	scripts/bench

packages: deps
	cargo build --release -p rvsadm
	@d=$$(scripts/build-modules $(FLAVOUR)) && scripts/package --moddir $$d

kernel-package: deps
	cargo build --release -p rvsadm
	scripts/kernel-package $(if $(CONFIG),--from $(CONFIG)) $(if $(filter 1,$(TRIM)),--trim)

vm: deps
	scripts/vm-run '$(CMD)'

modules_install: deps
	@d=$$(scripts/build-modules $(FLAVOUR)) && kdir=$$(cat $$d/.kdir) && \
	  $(MAKE) -C $$kdir M=$$d modules_install && \
	  depmod -a $$(cat $$kdir/include/config/kernel.release)

clean:
	rm -rf build target
