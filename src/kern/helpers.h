/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C side of rvs.ko: what Rust cannot reach through bindgen (static inline
 * functions, macros, per-CPU data, module parameters). Each function is a
 * thin wrapper; the logic stays in Rust, which calls these only from the
 * safe wrappers in src/kern/.
 */
#ifndef RVS_HELPERS_H
#define RVS_HELPERS_H

#include <linux/types.h>
#include <asm/param.h>

/* Ticks per second, as a constant bindgen can see. */
enum { RVS_HZ = HZ };

struct sk_buff;
struct net;
struct nf_hook_state;

/* Module parameters, read once at init. */
unsigned int rvs_param_conn_tab_bits(void);
unsigned int rvs_param_max_conns(void);

void *rvs_hook_net_area(const struct nf_hook_state *state);
struct net *rvs_current_net(void);
unsigned int rvs_net_inum(const struct net *net);
bool rvs_net_is_init(const struct net *net);

/*
 * Each namespace's area of rvs (kern/net.rs, NetArea: the namespace's
 * address and its settings, src/state.rs), which Rust lays out in the
 * namespace's generic area of RVS_SETTINGS_SIZE bytes (Rust checks that
 * it fits): present in every namespace between rvs_settings_register()
 * and rvs_settings_unregister(). A namespace is known to the packet path
 * by its area's address, so that its settings are one load away.
 */
#define RVS_SETTINGS_SIZE 1024
int rvs_settings_register(void);
void rvs_settings_unregister(void);
void *rvs_net_area(const struct net *net);
/* Implemented in Rust (kern/net.rs): writes net and the defaults at p
 * (zeroed). */
void rvs_settings_init(void *p, struct net *net);

/*
 * RVS_NR_HOOKS netfilter hooks. rvs_hook_register() prepares them (once:
 * -EBUSY while they are prepared) and the
 * per-namespace exit; rvs_net_hooks_on() registers them in one namespace
 * (once; process context; -ENODEV once unregistering has begun); they stay
 * there until the namespace exits or rvs_hook_unregister().
 */
#define RVS_NR_HOOKS 6
typedef unsigned int rvs_hookfn(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
struct rvs_hook_spec {
	rvs_hookfn *fn;
	u8 pf;
	unsigned int hooknum;
	int priority;
};
int rvs_hook_register(const struct rvs_hook_spec *specs, void *priv);
/*
 * The PRE_ROUTING hooks' functions (for rvs_hook_spec.fn): every packet a
 * namespace receives passes them, and only fragments are rvs's there, so
 * the test is made here and only a fragment (IPv6: a packet with an
 * extension header, which may be one) goes on to rvs_frag_guard.
 */
unsigned int rvs_pre_routing_v4(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
unsigned int rvs_pre_routing_v6(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
/* Implemented in Rust (kern/netfilter.rs): the fragment guard's verdict. */
unsigned int rvs_frag_guard(struct sk_buff *skb, const struct nf_hook_state *state, bool v6);
int rvs_net_hooks_on(struct net *net);
void rvs_hook_unregister(void);

/* sk_buff access. */
unsigned int rvs_skb_len(const struct sk_buff *skb);
unsigned int rvs_skb_truesize(const struct sk_buff *skb);
u8 *rvs_skb_pull_net(struct sk_buff *skb, unsigned int len);
u8 *rvs_skb_writable_net(struct sk_buff *skb, unsigned int len);
u8 rvs_skb_ip_summed(const struct sk_buff *skb);
bool rvs_skb_is_gso(const struct sk_buff *skb);
/* Route to daddr from saddr: sets the skb's dst; returns the path MTU or a
 * negative errno (the skb is left to the caller). */
int rvs_route_v4(struct net *net, struct sk_buff *skb, __be32 saddr, __be32 daddr);
/* Send a routed skb through LOCAL_OUT. Consumes skb. */
int rvs_output_v4(struct net *net, struct sk_buff *skb);
int rvs_ip_gather_frags(struct net *net, struct sk_buff *skb);
/* known_nh: the route's next hop is daddr itself even on a link (direct
 * routing: the packet keeps another destination address). */
int rvs_route_cached_v4(struct net *net, struct sk_buff *skb, void **slot, void **shared, __be32 saddr, __be32 daddr,
			bool known_nh);
unsigned int rvs_skb_dst_mtu(const struct sk_buff *skb);
bool rvs_skb_dst_is_local(const struct sk_buff *skb);
void rvs_skb_rewritten(struct sk_buff *skb);
void rvs_route_cache_drop(void **slot);
/* True if the TCP/UDP checksum of an IPv4 skb at LOCAL_IN (transport header
 * at thoff from the network header) verifies. */
bool rvs_l4_csum_ok(struct sk_buff *skb, unsigned int thoff, u8 proto, bool v6);
/* IPv6 twins of rvs_route_v4 (no cache) and rvs_output_v4; addresses are
 * 16 bytes each. */
int rvs_route_v6(struct net *net, struct sk_buff *skb, const u8 *saddr, const u8 *daddr);
int rvs_route_cached_v6(struct net *net, struct sk_buff *skb, void **slot, u32 *cookie, void **shared, u32 *shared_cookie,
			const u8 *saddr, const u8 *daddr, bool known_nh);
int rvs_output_v6(struct net *net, struct sk_buff *skb);
/* Tunnel types and flags, as IPVS numbers them (uapi ip_vs.h). */
#define RVS_TUN_IPIP 0
#define RVS_TUN_GUE 1
#define RVS_TUN_GRE 2
#define RVS_TUN_CSUM 1
/* Tunnelling: wraps the packet in an outer header to daddr (4 or 16
 * bytes, the packet's family), routed through the real server's cache
 * *slot, with the encapsulation of type (IPIP, GUE to UDP port port, GRE;
 * flags: RVS_TUN_CSUM); 0, -EMSGSIZE (too big: the client was told) or
 * another negative errno (the skb is left to the caller). */
int rvs_tunnel(struct net *net, struct sk_buff *skb, void **slot, const u8 *daddr, bool v6, u8 type, __be16 port,
	       u16 flags);
void rvs_tun_route_drop(void **slot);
/* TTL / hop limit down by one; -ETIMEDOUT if it expired (the sender was
 * told). */
int rvs_dec_ttl(struct sk_buff *skb, bool v6);
/* Whether the packet (routed) is too big for its route, as it came; if
 * so its sender was told. */
bool rvs_too_big(struct sk_buff *skb, bool v6);
void rvs_synchronize_net(void);
void rvs_cond_resched(void);
/* Make len bytes of room after the first off bytes from the network header
 * (IP + TCP headers, linear): the headers move toward the head. ihl: IP
 * header length, for the transport header offset. */
int rvs_skb_insert_room(struct sk_buff *skb, unsigned int off, unsigned int len, unsigned int ihl);
int rvs_skb_change_family(struct sk_buff *skb, unsigned int old_l4, unsigned int new_l4, bool to_v6);

/* Packets rvs builds or keeps (SYNPROXY). */
/* A new IPv4 (or, v6, IPv6) packet of len zeroed linear bytes (network
 * header at data, transport header after the fixed network header), with
 * headroom for the link layer; NULL if no memory. */
struct sk_buff *rvs_skb_alloc(unsigned int len, bool v6);
/* Make a hook's skb into exactly len linear, private bytes from the
 * network header, for rewriting as a reply; no socket, no checksum state. */
int rvs_skb_reshape(struct sk_buff *skb, unsigned int len, unsigned int thoff);
/* A hook's skb kept past the hook (which then returns NF_STOLEN): no
 * socket and no route pinned while it waits. */
void rvs_skb_keep(struct sk_buff *skb);
void rvs_kfree_skb(struct sk_buff *skb);

/* SYN cookie hash: SipHash of the 4-tuple and extra under a namespace's
 * key (key[2]). */
u32 rvs_cookie_hash(const u64 *key, __be32 saddr, __be32 daddr, __be16 sport, __be16 dport, u32 extra);
u32 rvs_cookie_hash6(const u64 *key, const u8 *saddr, const u8 *daddr, __be16 sport, __be16 dport, u32 extra);
void rvs_random_bytes(void *p, size_t n);
/* The wall clock, seconds since the epoch. */
u64 rvs_real_seconds(void);

/* RCU. */
void rvs_rcu_read_lock(void);
void rvs_rcu_read_unlock(void);
void rvs_synchronize_rcu(void);
/* Whether addr (4 or 16 bytes) is one of net's own. */
bool rvs_net_has_addr(struct net *net, const u8 *addr, bool v6);

/* The collector's mutex: its tick and a namespace's cleanup take it. */
void rvs_gc_lock(void);
void rvs_gc_unlock(void);

/* The configuration mutex: ctl writes, and module exit, take it. */
void rvs_cfg_lock(void);
void rvs_cfg_unlock(void);

/* Striped bucket locks of the connection table. */
int rvs_locks_init(unsigned int n);
void rvs_locks_free(void);
void rvs_lock_bh(unsigned int i);
void rvs_unlock_bh(unsigned int i);
/* A second stripe inside rvs_lock_bh() of a lower one (BHs already off). */
void rvs_lock_nested(unsigned int i);
void rvs_unlock(unsigned int i);

/* Per-CPU u64 counters: an array of n per CPU. */
void *rvs_pcpu_alloc(unsigned int n);
void rvs_pcpu_free(void *p);
void rvs_pcpu_add(void *p, unsigned int idx, u64 v);
void rvs_pcpu_add_pairs(void *const p[4], const unsigned int idx[4], u64 a, u64 b);
u64 rvs_pcpu_sum(void *p, unsigned int idx);

/* Large zeroed allocations (the bucket array). */
void *rvs_kvzalloc(size_t size);
void rvs_kvfree(void *p);

/* Time and randomness. */
u64 rvs_jiffies64(void);
u32 rvs_random_u32(void);
u32 rvs_secure_tcp_seq(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport);
u32 rvs_secure_tcpv6_seq(const u8 *saddr, const u8 *daddr, __be16 sport, __be16 dport);

/*
 * Connection sync (sync.rs): a master's UDP socket in namespace net, sending
 * to group:port (4 or 16 bytes, by v6) out of the interface ifname with
 * the given multicast TTL (hop limit), no loopback, no DF; connected, so a
 * send names no address. On success *mtu is the interface's MTU. NULL and
 * *err (-errno) on failure.
 */
struct socket;
struct socket *rvs_sync_master_sock(struct net *net, const char *ifname, bool v6,
				    const u8 *group, u16 port, u8 ttl, int sock_size,
				    unsigned int *mtu, int *err);
/* One datagram, not waiting for room: bytes sent or -errno. Process context. */
int rvs_sync_send(struct socket *sock, const void *buf, size_t len);
void rvs_sync_sock_release(struct socket *sock);
/*
 * A backup's UDP socket in namespace net: bound to group:port (4 or 16
 * bytes, by v6) on the interface ifname, joined to the group there, with
 * a receive buffer of rcvbuf bytes; each datagram's arrival queues the
 * receive work (rvs_sync_rx()). On success *mtu is the interface's MTU.
 * NULL and *err (-errno) on failure. Release with rvs_sync_rx_sock_release.
 */
struct socket *rvs_sync_backup_sock(struct net *net, const char *ifname, bool v6,
				    const u8 *group, u16 port, int rcvbuf, int sock_size,
				    unsigned int *mtu, int *err);
/*
 * One datagram, not waiting: its length (0 for an empty one), -EAGAIN when
 * none is queued, or -errno; a datagram longer than len is cut short and
 * *trunc set. The sender's address goes to from (16 bytes: IPv4 as
 * ::ffff:a.b.c.d; not used yet: for restricting a backup's peers).
 * Process context.
 */
int rvs_sync_recv(struct socket *sock, void *buf, size_t len, u8 *from, bool *trunc);
/* Detaches the arrival callback, then releases the socket. */
void rvs_sync_rx_sock_release(struct socket *sock);
/*
 * The receive work (rvs_sync_rx() until it returns false, requeued when it
 * returns true). Arrivals queue it only between rvs_sync_rx_start() and
 * rvs_sync_rx_stop(); the latter also waits for a run in progress.
 */
void rvs_sync_rx_start(void);
void rvs_sync_rx_stop(void);
bool rvs_sync_rx(void);
/* The sync work: calls rvs_sync_tick() every period_ms from a workqueue. */
void rvs_sync_work_start(unsigned int period_ms);
void rvs_sync_work_stop(void);
/* Runs the sync work as soon as possible (any context). */
void rvs_sync_work_now(void);
void rvs_sync_tick(void);
/* Softirqs off and on again on this CPU (locks the packet path also takes). */
void rvs_local_bh_disable(void);
void rvs_local_bh_enable(void);

/* The periodic garbage collector; calls rvs_gc_tick() from a workqueue. */
void rvs_gc_start(unsigned int period_ms);
void rvs_gc_stop(void);

/* Implemented in Rust (kern/params.rs, kern/workqueue.rs, kern/netfilter.rs). */
int rvs_ctl_write(const char *buf, size_t len);
int rvs_stats_read(char *buf, size_t len);
void rvs_gc_tick(void);
/* A namespace is going away (its hooks are gone): free its connections. */
void rvs_net_gone(struct net *net);
void rvs_dev_gone(struct net *net);

/*
 * The generic netlink family "IPVS" (genl.c): the kernel's numbering
 * (<linux/ip_vs.h>) plus Alibaba's FULLNAT additions, with Alibaba's
 * numbers, which the kernel's header does not have.
 */
enum {
	RVS_IPVS_CMD_NEW_LADDR = 18,
	RVS_IPVS_CMD_DEL_LADDR = 19,
	RVS_IPVS_CMD_GET_LADDR = 20,
	RVS_IPVS_CMD_MAX = RVS_IPVS_CMD_GET_LADDR,
};
enum {
	RVS_IPVS_CMD_ATTR_LADDR = 7,	/* nested RVS_IPVS_LADDR_ATTR_* */
	RVS_IPVS_CMD_ATTR_MAX = RVS_IPVS_CMD_ATTR_LADDR,
};
enum {
	RVS_IPVS_LADDR_ATTR_ADDR = 1,
	RVS_IPVS_LADDR_ATTR_PORT_CONFLICT = 2,
	RVS_IPVS_LADDR_ATTR_CONN_COUNTS = 3,
	RVS_IPVS_LADDR_ATTR_ADDR_FAMILY = 4,	/* rvs: u16, NAT64's IPv4 LADDRs */
	RVS_IPVS_LADDR_ATTR_MAX = RVS_IPVS_LADDR_ATTR_ADDR_FAMILY,
};
int rvs_genl_register(void);
void rvs_genl_unregister(void);
/* Sets the extended ack message; msg must be static. extack may be NULL. */
void rvs_genl_set_err(void *extack, const char *msg);
/* Replies to the doit request info (struct genl_info *) with command cmd
 * carrying the len bytes of encoded attributes buf. */
int rvs_genl_reply(void *info, u8 cmd, const u8 *buf, size_t len);
/* Appends one dump message (cmd, attributes buf) to skb; -EMSGSIZE if it
 * does not fit (nothing is added then). cb: struct netlink_callback *. */
int rvs_genl_dump_put(struct sk_buff *skb, void *cb, u8 cmd, const u8 *buf, size_t len);
/* Implemented in Rust (kern/genl.rs): attrs/len are the request's
 * attributes after the genetlink header, already validated against the
 * family's policies. */
int rvs_genl_doit(u8 cmd, const u8 *attrs, size_t len, void *info, void *extack, struct net *net);
int rvs_genl_dumpit(u8 cmd, const u8 *attrs, size_t len, struct sk_buff *skb, void *cb, void *extack, long *args,
		    struct net *net);

/* /proc/net/ip_vs, ip_vs_stats, ip_vs_conn in every namespace (proc.c). */
int rvs_proc_register(void);
void rvs_proc_unregister(void);
/* Appends len bytes to the seq_file seq (struct seq_file *). */
void rvs_seq_write(void *seq, const u8 *buf, size_t len);
/* Implemented in Rust (kern/proc.rs): which 0 = ip_vs, 1 = ip_vs_stats;
 * the connections of one bucket, under rcu_read_lock. */
int rvs_proc_show(unsigned int which, void *seq, struct net *net);
void rvs_proc_conn_show(void *seq, struct net *net, unsigned long bucket);
unsigned int rvs_conn_buckets(void);

/* Sysctls under net/ipv4/vs/, one table per namespace over its settings
 * (proc.c, described by src/sysctl.rs). */
int rvs_sysctl_register(void);
void rvs_sysctl_unregister(void);
/* Implemented in Rust (kern/sysctl.rs): entry idx's name (static), bounds
 * and kind (0 integer, 1 text, 2 text for root only; non-zero past the
 * last), its value or text in namespace net, and a checked new value or
 * text (0 or -errno). */
int rvs_sysctl_info(unsigned int idx, const char **name, int *min, int *max, int *kind);
int rvs_sysctl_get(struct net *net, unsigned int idx, int *val);
int rvs_sysctl_set(struct net *net, unsigned int idx, int val);
int rvs_sysctl_get_text(struct net *net, unsigned int idx, char *buf, size_t len);
int rvs_sysctl_set_text(struct net *net, unsigned int idx, const char *text, size_t len);

#endif
