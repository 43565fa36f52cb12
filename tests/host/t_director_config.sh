#!/usr/bin/env bash
# scripts/director-config on a real distribution configuration (Debian's
# 6.12 amd64, package linux-config-6.12): the result has every option rvs
# needs and still every driver the distribution builds; the report names
# each change with its reason; --trim drops what a director does not use
# and keeps its NICs, bonding, VLANs, tunnels and virtio; a configuration
# that rules out an option rvs needs is refused, naming it; bad arguments
# get a message and status 2.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
deb=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
[ -r "$deb" ] || fail "no $deb (scripts/install-deps installs linux-config-6.12)"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
val() { grep -E "^(CONFIG_$2=|# CONFIG_$2 is not set)" "$1" | sed -E 's/^CONFIG_[^=]*=//; s/^# .* is not set$/n/' || echo absent; }
want() { local f=$1 o=$2 v=$3 got; got=$(val "$f" "$o"); [ "$got" = "$v" ] || fail "$(basename "$(dirname "$f")"): CONFIG_$o is '$got', not '$v'"; }

# (stderr apart: unpacking the source, on a first run, says so there.)
"$repo/scripts/director-config" --from "$deb" --out "$t/full" > "$t/full.out" 2>"$t/full.err" || { cat "$t/full.out" "$t/full.err"; fail "director-config failed"; }
c=$t/full/.config
for o in RUST=y KPROBES=y KRETPROBES=y NETFILTER=y IPV6=y SYN_COOKIES=y IP_VS=m IP_VS_IPV6=y IP_VS_TAB_BITS=20 \
         NET_IPIP=m NET_FOU=m NET_IPGRE=m IPV6_TUNNEL=m IP_ROUTE_MULTIPATH=y MODVERSIONS=n RANDSTRUCT_NONE=y; do
  want "$c" "${o%%=*}" "${o#*=}"
done
# The distribution's drivers are all still there: the same modules, and
# the NICs, storage and sound by name.
for o in E1000E IXGBE I40E ICE MLX5_CORE BNXT ENA_ETHERNET VIRTIO_NET BONDING VLAN_8021Q SND_HDA_INTEL NVME_CORE DRM; do
  [ "$(val "$t/full/settled.config" "$o")" = m ] || fail "Debian's configuration has no CONFIG_$o=m (test outdated?)"
  want "$c" "$o" m
done
grep -q "^Modules the configuration builds: \([0-9]*\) (the distribution's: \1)$" "$t/full.out" \
  || fail "the module count changed: $(grep '^Modules' "$t/full.out")"
grep -qx "  CONFIG_RUST: absent -> y" "$t/full.out" || fail "the report does not name CONFIG_RUST"
grep -qx "  CONFIG_IP_VS_TAB_BITS: 12 -> 20" "$t/full.out" || fail "the report does not name CONFIG_IP_VS_TAB_BITS"
grep -qx "  # rvs.ko and toa.ko are Rust modules: the kernel must carry Rust support." "$t/full.out" \
  || fail "the report does not give CONFIG_RUST's reason"
grep -qx "  CONFIG_MODVERSIONS: y -> n" "$t/full.out" || fail "the report does not name CONFIG_MODVERSIONS"
want "$c" LOCALVERSION '"-rvs"'
[ "$(tail -n 1 "$t/full.out")" = "$t/full" ] || fail "the last line is not the build folder"
cmp -s "$t/full.out" <(cat "$t/full/rvs-config-report.txt"; echo "$t/full") || fail "the report file differs from what was printed"

# The trimmed one as a user runs it, into the cache's folder (a cache of
# our own, sharing the unpacked source): --print-dir must name that folder.
mkdir -p "$t/rcache"; ln -s "${RVS_CACHE:-/var/cache/rvs}/src" "$t/rcache/src"
RVS_CACHE=$t/rcache "$repo/scripts/director-config" --from "$deb" --trim > "$t/trim.out" 2>"$t/trim.err" || { cat "$t/trim.out" "$t/trim.err"; fail "director-config --trim failed"; }
trim=$(tail -n 1 "$t/trim.out")
[ "$(RVS_CACHE=$t/rcache "$repo/scripts/director-config" --from "$deb" --trim --print-dir)" = "$trim" ] \
  || fail "--print-dir names another folder than the run's ($trim)"
[[ $trim == "$t/rcache/director/"?* ]] || fail "the trimmed run's folder '$trim' is not under the cache's director/"
c=$trim/.config
for o in RUST=y IP_VS_TAB_BITS=20 KPROBES=y E1000E=m IXGBE=m I40E=m ICE=m MLX5_CORE=m BNXT=m ENA_ETHERNET=m MICROSOFT_MANA=m VIRTIO_NET=m \
         VIRTIO_BLK=m BONDING=m VLAN_8021Q=m NET_IPIP=m NVME_CORE=m EXT4_FS=m DEBUG_INFO_NONE=y \
         SOUND=n DRM=n WLAN=n BT=n NET_VENDOR_REALTEK=n STAGING=n; do
  want "$c" "${o%%=*}" "${o#*=}"
done
[ "$(val "$c" R8169)" = absent ] || fail "the trimmed configuration still builds r8169"
n_full=$(grep -c '=m$' "$t/full/.config"); n_trim=$(grep -c '=m$' "$c")
[ "$n_trim" -lt $((n_full / 2)) ] || fail "--trim kept $n_trim of $n_full modules"
echo "# trimmed: $n_trim modules of $n_full"

# A configuration without loadable modules cannot have rvs's: refused,
# naming the options.
xzcat "$deb" | sed 's/^CONFIG_MODULES=y$/# CONFIG_MODULES is not set/' > "$t/nomod.config"
rc=0; "$repo/scripts/director-config" --from "$t/nomod.config" --out "$t/nomod" > "$t/nomod.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$t/nomod.out"; fail "a configuration without modules: status $rc, not 1"; }
grep -q "FAILED CONFIG_IP_VS: wanted m" "$t/nomod.out" || { cat "$t/nomod.out"; fail "CONFIG_IP_VS's failure is not named"; }

# --print-dir names the cached build folder without making anything:
# the same for the same input, another for --trim or another
# configuration (scripts/vm-run --flavour director finds the kernel
# there).
pd() { RVS_CACHE=$t/pcache "$repo/scripts/director-config" "$@" --print-dir; }
d1=$(pd --from "$deb" --trim) && d2=$(pd --from "$deb" --trim) && d3=$(pd --from "$deb") && d4=$(pd --from "$t/nomod.config" --trim) \
  || fail "director-config --print-dir failed"
[[ $d1 == "$t/pcache/director/"?* ]] || fail "--print-dir: '$d1' is not under the cache's director/"
[ "$d1" = "$d2" ] || fail "--print-dir: two runs, two folders ($d1, $d2)"
[ "$d1" != "$d3" ] || fail "--print-dir: the same folder with and without --trim"
[ "$d1" != "$d4" ] || fail "--print-dir: the same folder for two configurations"
[ ! -e "$t/pcache" ] || fail "--print-dir made $(find "$t/pcache" | head -n 3)"

# Bad arguments.
rc=0; out=$("$repo/scripts/director-config" --from "$t/none" 2>&1) || rc=$?
[ "$rc" -eq 2 ] && grep -q "cannot read the distribution's configuration '$t/none'" <<<"$out" || fail "missing file: $rc $out"
echo "hello" > "$t/hello"
rc=0; out=$("$repo/scripts/director-config" --from "$t/hello" 2>&1) || rc=$?
[ "$rc" -eq 2 ] && grep -q "holds no CONFIG_ lines" <<<"$out" || fail "not a configuration: $rc $out"
rc=0; out=$("$repo/scripts/director-config" --frm x 2>&1) || rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown argument '--frm'" <<<"$out" || fail "unknown argument: $rc $out"
