# Tunnelling (-i, IPIP), IPv4 in IPv4 and IPv6 in IPv6, through stock
# ipvsadm: the client's packet reaches the real server inside an outer
# header from the director, the real server takes it out (its fallback
# tunl0 / ip6tnl0 device), sees the client's own address and answers the
# client itself from the VIP; the director handles one direction only.
# Transfers both ways arrive intact (sha256 at both ends). A datagram that
# no longer fits the path once tunnelled gets the client an ICMP error
# with the tunnel's MTU (1480, IPv6 1460), which its socket learns; an
# ICMP error about the real server's answer reaches the real server
# through the tunnel. Refused: a tunnelled real server of another family.
# (GUE and GRE: t_tun_encap.)
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
own_vip_servers 2
modprobe ipip
modprobe ip6_tunnel
for i in 1 2; do
  nsx "rs$i" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  nsx "rs$i" ip link set tunl0 up
  nsx "rs$i" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0
  nsx "rs$i" ip link set ip6tnl0 up
done
for v in "$VIP:80" "[$VIP6]:80"; do nsx d ipvsadm -A -t "$v" -s rr; done
nsx d ipvsadm -A -u "$VIP:53" -s rr
nsx d ipvsadm -A -u "[$VIP6]:53" -s rr
for i in 1 2; do
  nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr "$i")" -i
  nsx d ipvsadm -a -t "[$VIP6]:80" -r "[$(rs6_addr "$i")]:80" -i
done
nsx d ipvsadm -a -u "$VIP:53" -r "$(rs_addr 1)" -i
nsx d ipvsadm -a -u "[$VIP6]:53" -r "[$(rs6_addr 1)]:53" -i
assert_eq "listed as Tunnel" "-> $(rs_addr 1):80 Tunnel 1|-> $(rs_addr 2):80 Tunnel 1" \
  "$(nsx d ipvsadm -Ln -t "$VIP:80" | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $1, $2, $3, $4}' | paste -sd'|')"

# Path MTU (first: the transfers below teach the client the same): a
# 1500-byte datagram with DF does not fit once tunnelled; the client is
# told the tunnel's MTU and its socket takes it.
tb0=$(rvs_stat drop_too_big)
assert_eq "path MTUs the client learned" "1480 1460" "$(learned_pmtus)"
assert_eq "drop_too_big" $((tb0 + 2)) "$(rvs_stat drop_too_big)"

client_seen_traffic
# Through the tunnel: the real servers received IPIP (and IPv6-in-IPv6)
# packets, and the director counted the client's bytes (the upload's
# 5 MB among them).
rx_pkts() { # DEV: packets received on DEV by both real servers
  local i
  for i in 1 2; do nsx "rs$i" ip -s link show "$1" | awk '/RX:/ {getline; print $2}'; done | awk '{n += $1} END {print n}'
}
ipip=$(rx_pkts tunl0)
[ "$ipip" -gt 1000 ] || fail "IPIP packets taken out by the real servers: $ipip"
ip6ip6=$(rx_pkts ip6tnl0)
[ "$ip6ip6" -gt 1000 ] || fail "IPv6-in-IPv6 packets taken out by the real servers: $ip6ip6"
inb=$(nsx d ipvsadm -Ln --stats --exact -t "$VIP:80" | awk '/^TCP/ {print $6}')
[ "$inb" -gt 5000000 ] || fail "inbound bytes through the tunnel: $inb"

# An ICMP error about the real server's answer reaches it through the
# tunnel.
hold_conn "$VIP" 20
icmp_reaches_rs "$HELD_PORT"

# Refusals, with their extack messages.
errs=$(nsx d python3 -c "
import struct, sys
sys.path.insert(0, 'tests/lib')
import ipvsnl as n
g = n.Genl()
# An IPv4 tunnelled real server on an IPv6 service (not yet).
err, msg, _ = g.request(n.NEW_DEST, n.nest(n.CMD_SERVICE, n.svc_id('tcp', '$VIP6', 80))
                        + n.nest(n.CMD_DEST, n.nla(n.DEST_ADDR_FAMILY, struct.pack('=H', n.AF_INET)) + n.dest_full('$(rs_addr 1)', 81, fwd=2)))
print(err, msg)
")
grep -q "^97 NAT, direct routing and tunnelling keep the client.s address" <<<"$errs" || fail "an IPv4 tunnelled server on an IPv6 service: $errs"
