# vm-also: director
# The Debian packages (scripts/package) on a director: rvs-modules-<release>
# and rvs installed with dpkg -i into a copy of the root file system that
# holds the kernel's own modules, as a director with the kernel package
# has them (an overlay over the VM's root, which is the host's, read-only);
# `modprobe rvs` loads the packaged module with the options of
# /etc/modprobe.d/rvs.conf; rvs.service's ExecStart (rvs-setup start)
# loads it, applies /etc/rvs/sysctl.conf and restores a saved rule set,
# FULLNAT's local addresses and SYNPROXY included, that `rvsadm -S` and
# stock `ipvsadm -S` then list exactly as saved, and connections flow
# through it to the real servers from the LADDR; a second start gives the
# same; a bad settings line stops the start naming file and line;
# ExecStop saves and clears, and without rvs loaded touches nothing;
# dpkg -r takes the module out of modules.dep. On the director kernel
# (tests/run's director/ run) the kernel's own package is installed
# first, with the same dpkg -i.
. tests/lib/lib.sh
command -v dpkg-deb >/dev/null || fail "no dpkg-deb"
! grep -q "^ip_vs " /proc/modules || modprobe -r ip_vs
rel=$(uname -r)
ovl=$(mktemp -d /tmp/rvs-ovl.XXXXXX)
root=$ovl/root
mounts=()
undo() {
  local i
  cleanup_all
  grep -q "^rvs " /proc/modules && rmmod rvs
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  rm -rf "$ovl" "$ovl.pkgs" "$ovl.package.log"
}
trap undo EXIT

pkgs=$(DPKG_DEB_COMPRESSOR_TYPE=gzip scripts/package --moddir "$RVS_MODDIR" --rvsadm "$RVSADM" --out "$ovl.pkgs" 2>"$ovl.package.log") \
  || { cat "$ovl.package.log"; fail "scripts/package failed"; }
mod_deb=$(ls "$pkgs"/rvs-modules-"$rel"_*.deb) || fail "no rvs-modules-$rel package in $pkgs"
tools_deb=$(ls "$pkgs"/rvs_*.deb) || fail "no rvs package in $pkgs"
note "packages: $(cd "$pkgs" && echo *.deb)"
dpkg-deb -c "$mod_deb" | grep "lib/modules/$rel/updates/rvs/rvs.ko$" >/dev/null || fail "rvs.ko is not in $mod_deb"
dpkg-deb -c "$mod_deb" | grep "lib/modules/$rel/updates/rvs/toa.ko$" >/dev/null || fail "toa.ko is not in $mod_deb"
for f in etc/default/rvs etc/rvs/rules etc/rvs/sysctl.conf etc/modprobe.d/rvs.conf; do
  dpkg-deb -I "$tools_deb" conffiles | grep -x "/$f" >/dev/null || fail "/$f is not a conffile"
done

# The director's root: the host's, with this kernel's own modules in
# /lib/modules/<release> as the kernel package puts them there.
# (The VM's /tmp is an overlay itself, which cannot be an upper layer:
# the layers go on a tmpfs of their own; the lower layer is the root
# alone, without the VM's mounts on it.)
mount -t tmpfs tmpfs "$ovl"; mounts+=("$ovl")
mkdir -p "$ovl/up" "$ovl/work" "$ovl/lower" "$root"
mount --bind / "$ovl/lower"; mounts+=("$ovl/lower")
mount -t overlay overlay -o "lowerdir=$ovl/lower,upperdir=$ovl/up,workdir=$ovl/work" "$root" || fail "cannot mount the overlay root"
mounts+=("$root")
for d in proc sys dev; do mount --bind "/$d" "$root/$d"; mounts+=("$root/$d"); done
mount -t tmpfs tmpfs "$root/run"; mounts+=("$root/run")
# On the director kernel (tests/run's director/ run), the kernel's own
# package is there to install: dpkg puts /boot/vmlinuz and the modules,
# as built, where a director has them. The test kernel has none: its
# modules are copied in.
kernel_deb=$(ls "$RVS_KDIR"/packages/linux-image-"$rel"_*.deb 2>/dev/null | head -n 1 || true)
[ "${RVS_FLAVOUR:-}" != director ] || [ -n "$kernel_deb" ] || fail "on the director kernel, no linux-image-$rel package in $RVS_KDIR/packages"
rm -rf "$root/lib/modules/$rel"
if [ -z "$kernel_deb" ]; then
  mkdir -p "$root/lib/modules"
  cp -a "$(readlink -f "/lib/modules/$rel")" "$root/lib/modules/$rel"
fi
cp "$pkgs"/*.deb ${kernel_deb:+"$kernel_deb"} "$root/tmp/"
# dpkg's database with the packages ours depend on alone: the host's
# lists every file of every package, which dpkg reads whole on each run,
# minutes over the VM's 9p root.
db=$root/var/lib/dpkg
mount -t tmpfs tmpfs "$db"; mounts+=("$db")
mkdir -p "$db/info" "$db/updates" "$db/triggers"
: > "$db/available"
for p in kmod libc6 init-system-helpers; do
  dpkg-query -W -f='Package: ${Package}\nStatus: install ok installed\nPriority: ${Priority}\nVersion: ${Version}\nArchitecture: ${Architecture}\nMaintainer: ${Maintainer}\nDescription: ${Description}\n\n' "$p" | sed '/^ /d' >> "$db/status"
done
on_director() { chroot "$root" "$@"; }
on_director test ! -e "/lib/modules/$rel/updates/rvs/rvs.ko" || fail "rvs.ko already in the root"

if [ -n "$kernel_deb" ]; then
  note "the director kernel's package: $(basename "$kernel_deb")"
  # Its postinst runs /etc/kernel/postinst.d, the host's: an initramfs
  # and a boot loader entry for a kernel this root never boots. None.
  mkdir -p "$root/etc/kernel"; mount -t tmpfs tmpfs "$root/etc/kernel"; mounts+=("$root/etc/kernel")
  on_director dpkg -i "/tmp/$(basename "$kernel_deb")" > "$ovl/dpkg.log" 2>&1 \
    || { cat "$ovl/dpkg.log"; fail "dpkg -i of the kernel's package failed"; }
  assert_eq "kernel package status" "install ok installed" "$(on_director dpkg-query -W -f='${Status}' "linux-image-$rel")"
  on_director test -f "/boot/vmlinuz-$rel" || fail "the kernel's package put no /boot/vmlinuz-$rel"
  on_director modinfo -n ip_vs | grep -q "^/lib/modules/$rel/kernel/" || fail "the kernel's package put no ip_vs module"
fi
on_director dpkg -i "/tmp/$(basename "$mod_deb")" "/tmp/$(basename "$tools_deb")" > "$ovl/dpkg.log" 2>&1 \
  || { cat "$ovl/dpkg.log"; fail "dpkg -i failed"; }
assert_eq "package status" "install ok installed" "$(on_director dpkg-query -W -f='${Status}' "rvs-modules-$rel")"
assert_eq "package status" "install ok installed" "$(on_director dpkg-query -W -f='${Status}' rvs)"
on_director modinfo -n rvs | grep -q "/lib/modules/$rel/updates/rvs/rvs.ko$" || fail "modinfo does not find the packaged rvs"
on_director modinfo -n toa | grep -q "/lib/modules/$rel/updates/rvs/toa.ko$" || fail "modinfo does not find the packaged toa"
on_director test -x /usr/sbin/rvsadm || fail "no /usr/sbin/rvsadm"
on_director systemd-analyze verify /lib/systemd/system/rvs.service /lib/systemd/system/rvs-metrics.service \
  /lib/systemd/system/rvs-metrics.timer > "$ovl/verify.log" 2>&1 || { cat "$ovl/verify.log"; fail "systemd-analyze verify"; }
[ ! -s "$ovl/verify.log" ] || { cat "$ovl/verify.log"; fail "systemd-analyze verify complains"; }

# modprobe with the options of /etc/modprobe.d/rvs.conf.
echo "options rvs conn_tab_bits=12" >> "$root/etc/modprobe.d/rvs.conf"
on_director modprobe rvs || fail "modprobe rvs"
assert_eq "conn_tab_bits from modprobe.d" 12 "$(cat /sys/module/rvs/parameters/conn_tab_bits)"
rmmod rvs
# toa.ko, as a real server loads it (nothing runs that its kprobes'
# removal could catch mid-instruction; scripts/vm-run says why that
# matters).
on_director modprobe toa || fail "modprobe toa"
grep -q "^toa " /proc/modules || fail "modprobe toa loaded nothing"
rmmod toa

# The rule set an operator saved: FULLNAT with local addresses, SYNPROXY,
# UDP, IPv6, the namespace's default pool.
topo_up 2
load_rvs
rv() { nsx d "$RVSADM" "$@"; }
rv -A -t "$VIP:80" -s wrr -j enable
rv -a -t "$VIP:80" -r "$(rs_addr 1):8080" -b -w 2
rv -a -t "$VIP:80" -r "$(rs_addr 2):8080" -b -w 1
rv -P -t "$VIP:80" -z "${LADDRS[0]}"
rv -A -u "$VIP:53" -s sh
rv -a -u "$VIP:53" -r "$(rs_addr 1):5353" -b
rv -A -t "[$VIP6]:80" -s mh
rv -a -t "[$VIP6]:80" -r "[$(rs6_addr 1)]:8080" -b
rv -P -t "[$VIP6]:80" -z "${LADDRS6[0]}"
rv -P -t 0.0.0.0:0 -z "${LADDRS[1]}"
saved_rvs=$(rv -S -n)
saved_ipvs=$(nsx d ipvsadm -S -n)
grep -qx -- "-P -t $VIP:80 -z ${LADDRS[0]}" <<<"$saved_rvs" || fail "the rule set lacks its LADDR line"
unload_rvs

# rvs.service's start, as systemd runs it, in the director's namespace
# (where the rules belong): the module, the settings, the rules.
printf '%s\n' "$saved_rvs" > "$root/etc/rvs/rules"
printf '%s\n' "# ours" "net.ipv4.vs.timeout_established = 77" > "$root/etc/rvs/sysctl.conf"
start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/rvs.service")
stop=$(sed -n 's/^ExecStop=//p' "$root/lib/systemd/system/rvs.service")
nsx d chroot "$root" $start > "$ovl/start.log" 2>&1 || { cat "$ovl/start.log"; fail "rvs.service's start failed"; }
note "$(tr '\n' ';' < "$ovl/start.log")"
grep -q "^rvs " /proc/modules || fail "the start did not load rvs"
assert_eq "rvsadm -S after the start" "$saved_rvs" "$(rv -S -n)"
assert_eq "ipvsadm -S after the start" "$saved_ipvs" "$(nsx d ipvsadm -S -n)"
assert_eq "timeout_established" 77 "$(nsx d sysctl -n net.ipv4.vs.timeout_established)"
# A restart (or reload) replaces the rules with the saved ones, the
# default LADDR pool included.
nsx d chroot "$root" $start > "$ovl/start.log" 2>&1 || { cat "$ovl/start.log"; fail "a second start failed"; }
assert_eq "rvsadm -S after a second start" "$saved_rvs" "$(rv -S -n)"

# The restored service carries connections: the real servers see the LADDR.
start_servers 2 8080
out=$(client peers "$VIP" 80 6) || fail "connections through the restored service failed: $out"
assert_eq "peers seen by the real servers" "${LADDRS[0]}" "$(awk '{print $2}' <<<"$out" | sort -u)"
assert_eq "servers reached (wrr 2:1)" "rs1 rs1 rs1 rs1 rs2 rs2" "$(awk '{print $1}' <<<"$out" | sort | tr '\n' ' ' | sed 's/ $//')"

# The stop saves (SAVE_ON_STOP=yes) and clears.
sed -i 's/^SAVE_ON_STOP=.*/SAVE_ON_STOP=yes/' "$root/etc/default/rvs"
: > "$root/etc/rvs/rules"
nsx d chroot "$root" $stop > "$ovl/stop.log" 2>&1 || { cat "$ovl/stop.log"; fail "rvs.service's stop failed"; }
assert_eq "rules saved by the stop" "$saved_rvs" "$(cat "$root/etc/rvs/rules")"
assert_eq "rules after the stop" "" "$(rv -S -n)"
unload_rvs

# A settings line the kernel refuses stops the start and is named.
printf '%s\n' "net.ipv4.vs.timeout_established = 77" "net.ipv4.vs.no_such_setting = 1" > "$root/etc/rvs/sysctl.conf"
rc=0; nsx d chroot "$root" $start > "$ovl/start.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a start with a bad settings line succeeded"
grep -q "/etc/rvs/sysctl.conf:2: cannot set net.ipv4.vs.no_such_setting" "$ovl/start.log" \
  || { cat "$ovl/start.log"; fail "the bad line is not named"; }
assert_eq "rules after a failed start" "" "$(rv -S -n)"
unload_rvs

# Without rvs (a real server's MODULES="toa"), the stop leaves rules
# alone: rvsadm would make the kernel load its own ip_vs.
nsx d chroot "$root" $stop > "$ovl/stop.log" 2>&1 || { cat "$ovl/stop.log"; fail "the stop without rvs failed"; }
! grep -q "^ip_vs " /proc/modules || fail "the stop without rvs loaded ip_vs"

# Removal takes the modules out of modules.dep.
on_director dpkg -r "rvs-modules-$rel" > "$ovl/dpkg.log" 2>&1 || { cat "$ovl/dpkg.log"; fail "dpkg -r failed"; }
! on_director modinfo -n rvs >/dev/null 2>&1 || fail "rvs still found after dpkg -r"
