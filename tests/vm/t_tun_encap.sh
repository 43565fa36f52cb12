# Tunnelling's GUE and GRE types, as 6.12's IPVS has them, through stock
# ipvsadm (--tun-type gue --tun-port PORT, --tun-type gre, each with or
# without --tun-csum), IPv4 and IPv6: the real servers take the packets
# out with the kernel's own receivers (a GUE socket, `ip fou add`; GRE
# devices: ip6gre0, and for GRE with checksums one that expects them,
# `icsum`), see the client's own address and answer it
# themselves; transfers both ways arrive intact (sha256). The real
# servers' counters show the encapsulation used (UDP datagrams taken by
# the GUE socket, packets on the GRE devices). A datagram that no longer
# fits once encapsulated gets the client the tunnel's MTU: 1500 less the
# outer header and GUE's 12 bytes. ipvsadm -S lists the types back.
# Refused: a GUE tunnel without a port, and GUE's remote checksum offload.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
own_vip_servers 2
for m in ipip ip6_tunnel fou ip_gre ip6_gre; do modprobe "$m"; done
for i in 1 2; do
  nsx "rs$i" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  for dev in tunl0 ip6tnl0 gre0 ip6gre0; do nsx "rs$i" ip link set "$dev" up; done
  nsx "rs$i" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0 net.ipv4.conf.gre0.rp_filter=0
  nsx "rs$i" ip fou add port 6080 gue
  nsx "rs$i" ip fou add port 6080 gue -6
  # GRE with checksums needs a device that expects them (the fallback
  # gre0 counts such packets as errors).
  nsx "rs$i" ip link add grecs type gre local "$(rs_addr "$i")" icsum
  nsx "rs$i" ip link set grecs up
  nsx "rs$i" sysctl -qw net.ipv4.conf.grecs.rp_filter=0
done
for v in "$VIP:80" "[$VIP6]:80"; do nsx d ipvsadm -A -t "$v" -s rr; done
nsx d ipvsadm -A -u "$VIP:53" -s rr
nsx d ipvsadm -A -u "[$VIP6]:53" -s rr
gue4="--tun-type gue --tun-port 6080 --tun-csum" gue6="--tun-type gue --tun-port 6080"
for i in 1 2; do
  # shellcheck disable=SC2086
  nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr "$i")" -i $gue4
  # shellcheck disable=SC2086
  nsx d ipvsadm -a -t "[$VIP6]:80" -r "[$(rs6_addr "$i")]:80" -i $gue6
done
# shellcheck disable=SC2086
nsx d ipvsadm -a -u "$VIP:53" -r "$(rs_addr 1)" -i $gue4
# shellcheck disable=SC2086
nsx d ipvsadm -a -u "[$VIP6]:53" -r "[$(rs6_addr 1)]:53" -i $gue6
grep -qx -- "-a -t $VIP:80 -r $(rs_addr 1):80 -i -w 1 $gue4" <(nsx d ipvsadm -S -n) \
  || fail "GUE not listed back: $(nsx d ipvsadm -S -n | grep -- "-r $(rs_addr 1):80")"

# Path MTU: a 1500-byte datagram with DF does not fit once in GUE; the
# client learns 1500 - 20 - 12 (IPv6: - 40 - 12).
assert_eq "path MTUs through GUE" "1468 1448" "$(learned_pmtus)"

udp_in() { # what the real servers' GUE sockets took: UdpInDatagrams + Udp6InDatagrams
  local i
  for i in 1 2; do nsx "rs$i" nstat -az UdpInDatagrams Udp6InDatagrams | awk 'NR > 1 {print $2}'; done | awk '{n += $1} END {print n}'
}
rx_pkts() { # DEV: packets received on DEV by both real servers
  local i
  for i in 1 2; do nsx "rs$i" ip -s link show "$1" | awk '/RX:/ {getline; print $2}'; done | awk '{n += $1} END {print n}'
}
u0=$(udp_in)
client_seen_traffic
u1=$(udp_in)
[ $((u1 - u0)) -gt 2000 ] || fail "GUE datagrams taken out by the real servers: $((u1 - u0))"

# GRE: the same real servers, edited (IPv4 with its checksum, IPv6
# without).
for i in 1 2; do
  nsx d ipvsadm -e -t "$VIP:80" -r "$(rs_addr "$i")" -i --tun-type gre --tun-csum
  nsx d ipvsadm -e -t "[$VIP6]:80" -r "[$(rs6_addr "$i")]:80" -i --tun-type gre
done
grep -qx -- "-a -t $VIP:80 -r $(rs_addr 1):80 -i -w 1 --tun-type gre --tun-csum" <(nsx d ipvsadm -S -n) \
  || fail "GRE not listed back: $(nsx d ipvsadm -S -n | grep -- "-r $(rs_addr 1):80")"
g0=$(rx_pkts grecs) g60=$(rx_pkts ip6gre0)
client_seen_traffic
g1=$(rx_pkts grecs) g61=$(rx_pkts ip6gre0)
[ $((g1 - g0)) -gt 1000 ] || fail "GRE packets (with checksums) taken out by the real servers: $((g1 - g0))"
[ $((g61 - g60)) -gt 1000 ] || fail "IPv6 GRE packets taken out by the real servers: $((g61 - g60))"

# Refusals, with their extack messages.
errs=$(nsx d python3 -c "
import struct, sys
sys.path.insert(0, 'tests/lib')
import ipvsnl as n
g = n.Genl()
S = n.nest(n.CMD_SERVICE, n.svc_id('tcp', '$VIP', 80))
err, msg, _ = g.request(n.NEW_DEST, S + n.nest(n.CMD_DEST, n.dest_full('$(rs_addr 1)', 81, fwd=2, tun_type=1)))
print('noport', err, msg)
err, msg, _ = g.request(n.NEW_DEST, S + n.nest(n.CMD_DEST, n.dest_full('$(rs_addr 1)', 81, fwd=2, tun_type=1, tun_port=6080, tun_flags=2)))
print('remcsum', err, msg)
")
grep -q "^noport 22 a GUE tunnel needs its UDP port" <<<"$errs" || fail "GUE without a port: $errs"
grep -q "^remcsum 95 GUE remote checksum offload is not supported" <<<"$errs" || fail "GUE remote checksum: $errs"
echo "tun_encap ok"
