// SPDX-License-Identifier: GPL-2.0
/* C helpers of rvs.ko; see helpers.h. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/skbuff.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/siphash.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/unaligned.h>
#include <linux/netdevice.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ip6_route.h>
#include <net/ip_tunnels.h>
#include <net/gre.h>
#include <net/gue.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include <net/ip6_checksum.h>
#include <net/icmp.h>
#include <net/gso.h>
#include <net/inet_ecn.h>
#include <linux/icmpv6.h>
#include <net/route.h>
#include <net/secure_seq.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/nsproxy.h>
#include <net/netfilter/nf_conntrack.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/sockptr.h>
#include "helpers.h"

MODULE_VERSION(RVS_VERSION);

static unsigned int conn_tab_bits = 20;
module_param(conn_tab_bits, uint, 0444);
MODULE_PARM_DESC(conn_tab_bits, "log2 of the connection hash table size (8..22, default 20)");

static unsigned int max_conns = 2000000;
module_param(max_conns, uint, 0444);
MODULE_PARM_DESC(max_conns, "most connections in the table; new ones beyond are refused and counted");

unsigned int rvs_param_conn_tab_bits(void) { return conn_tab_bits; }
unsigned int rvs_param_max_conns(void) { return max_conns; }

/*
 * Temporary configuration path until the "IPVS" generic netlink family
 * lands: text commands written to /sys/module/rvs/parameters/ctl, and the
 * counters read from /sys/module/rvs/parameters/stats.
 */
static int ctl_set(const char *val, const struct kernel_param *kp)
{
	return rvs_ctl_write(val, strlen(val));
}

static int ctl_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "see README: add-service, add-dest, set-weight, add-laddr, flush\n");
}

static const struct kernel_param_ops ctl_ops = { .set = ctl_set, .get = ctl_get };
module_param_cb(ctl, &ctl_ops, NULL, 0600);
MODULE_PARM_DESC(ctl, "temporary text control interface");

static int stats_get(char *buf, const struct kernel_param *kp)
{
	/* Less than a page: sysfs takes a page's worth as an overrun. */
	return rvs_stats_read(buf, PAGE_SIZE - 1);
}

/*
 * Root only: it names every service's addresses. A reader in another
 * namespace than the initial one sees its own namespace's services only
 * (see rvs_stats_read).
 */
static const struct kernel_param_ops stats_ops = { .get = stats_get };
module_param_cb(stats, &stats_ops, NULL, 0400);
MODULE_PARM_DESC(stats, "counters (read only, root)");

/* The calling task's namespace (process context only). */
struct net *rvs_current_net(void) { return current->nsproxy->net_ns; }

/* The namespace's inode number, as /proc/PID/ns/net shows it. */
unsigned int rvs_net_inum(const struct net *net) { return net->ns.inum; }
bool rvs_net_is_init(const struct net *net) { return net_eq(net, &init_net); }

/*
 * Each namespace's settings, in its generic area (zeroed by the core,
 * filled by Rust in the init below). Registered first and unregistered
 * last of rvs's pernet operations, so every other part of rvs finds them
 * in any namespace it runs in; a namespace's exit runs this exit after
 * the others (pernet exits run in reverse order of registration).
 */
static unsigned int rvs_settings_id;

static int __net_init rvs_settings_net_init(struct net *net)
{
	rvs_settings_init(net_generic(net, rvs_settings_id), net);
	return 0;
}

static struct pernet_operations rvs_settings_ops = {
	.init = rvs_settings_net_init,
	.id = &rvs_settings_id,
	.size = RVS_SETTINGS_SIZE,
};

int rvs_settings_register(void)
{
	return register_pernet_subsys(&rvs_settings_ops);
}

void rvs_settings_unregister(void)
{
	unregister_pernet_subsys(&rvs_settings_ops);
}

void *rvs_net_area(const struct net *net)
{
	return net_generic(net, rvs_settings_id);
}

/* The area of the namespace a hook runs in: one call per packet. */
void *rvs_hook_net_area(const struct nf_hook_state *state)
{
	return net_generic(state->net, rvs_settings_id);
}

static struct nf_hook_ops rvs_hook_ops[RVS_NR_HOOKS];

/*
 * The hooks are registered in a namespace when rvs starts working there
 * (its first service, rvs_net_hooks_on), and stay until the namespace
 * exits or rvs unloads: the packets of every other namespace (clients,
 * real servers or containers sharing the machine) never reach rvs. IPVS
 * does the same.
 */
struct rvs_net {
	bool hooked;
};
static unsigned int rvs_net_id;
/* Serialises rvs_net_hooks_on against itself and against unloading. */
static DEFINE_MUTEX(rvs_net_hooks_mutex);
/* Between rvs_hook_register and rvs_hook_unregister, under the mutex. */
static bool rvs_hooks_live;

static void __net_exit rvs_net_exit(struct net *net)
{
	struct rvs_net *rn = net_generic(net, rvs_net_id);

	/* rvs_net_hooks_on refuses a namespace on its way out; at unload,
	 * rvs_hooks_live is already false. */
	if (rn->hooked) {
		nf_unregister_net_hooks(net, rvs_hook_ops, RVS_NR_HOOKS);
		rn->hooked = false;
	}
	rvs_net_gone(net);
}

/*
 * Registered as a device's ops (register_pernet_device), as IPVS's
 * ipvs_core_dev_ops: the exit runs before default_device_exit_batch
 * unregisters the namespace's remaining devices (veth, physical), so the
 * routes its services and connections cache through them are let go of
 * first. Devices that other ops' exit_batch_rtnl destroy (bridges,
 * tunnels) go earlier still, before any exit: for those, and for a device
 * deleted from a live namespace, rvs_netdev_event does the work.
 */
static struct pernet_operations rvs_net_ops = {
	.exit = rvs_net_exit,
	.id = &rvs_net_id,
	.size = sizeof(struct rvs_net),
};

/*
 * A device is leaving a namespace (unregistered, or moved to another),
 * live or going away. Direct routing caches, per real server, a route
 * whose next hop is the real server itself (FLOWI_FLAG_KNOWN_NH). IPv6
 * builds such a route outside its tree; when the route's device goes, it
 * moves the route to blackhole_netdev but leaves it its fib6_info, which
 * holds the device: while a cache here held one, the device would never
 * become free (`ip link del` or the namespace's dismantling would wait
 * forever). The routes the tree owns, per-CPU copies and exceptions, let
 * go of their fib6_info with the device, and IPv4 routes hold none:
 * FULLNAT's and tunnelling's caches need nothing. So rvs_dev_gone empties
 * the namespace's direct-routing caches, as IPVS resets its destinations'
 * routes when a device goes down (ip_vs_dst_event).
 *
 * Called last (lowest priority), after the device's routes left the
 * tree; rvs_dev_gone waits a grace period before emptying the caches, so
 * that no packet that found such a route before fills a cache with it
 * again. The notifier is registered before rvs's namespace exits and
 * unregistered after them, so that a namespace dismantled while rvs
 * unloads is served too (its devices would otherwise wait for rvs, and
 * rvs's unload for the dismantling, which holds pernet_ops_rwsem); the
 * events replayed then find nothing left to empty.
 */
static int rvs_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	if (event == NETDEV_UNREGISTER)
		rvs_dev_gone(dev_net(netdev_notifier_info_to_dev(ptr)));
	return NOTIFY_DONE;
}

void rvs_synchronize_net(void) { synchronize_net(); }
void rvs_cond_resched(void) { cond_resched(); }

static struct notifier_block rvs_netdev_nb = {
	.notifier_call = rvs_netdev_event,
	.priority = INT_MIN,
};

int rvs_hook_register(const struct rvs_hook_spec *specs, void *priv)
{
	bool live;
	int i, err;

	/* One set of ops: a second registration would rewrite them live. */
	mutex_lock(&rvs_net_hooks_mutex);
	live = rvs_hooks_live;
	mutex_unlock(&rvs_net_hooks_mutex);
	if (live)
		return -EBUSY;
	for (i = 0; i < RVS_NR_HOOKS; i++) {
		rvs_hook_ops[i].hook = specs[i].fn;
		rvs_hook_ops[i].priv = priv;
		rvs_hook_ops[i].pf = specs[i].pf;
		rvs_hook_ops[i].hooknum = specs[i].hooknum;
		rvs_hook_ops[i].priority = specs[i].priority;
	}
	/* Before the pernet ops and unregistered after them (see
	 * rvs_netdev_event). */
	err = register_netdevice_notifier(&rvs_netdev_nb);
	if (err)
		return err;
	err = register_pernet_device(&rvs_net_ops);
	if (err) {
		unregister_netdevice_notifier(&rvs_netdev_nb);
		return err;
	}
	mutex_lock(&rvs_net_hooks_mutex);
	rvs_hooks_live = true;
	mutex_unlock(&rvs_net_hooks_mutex);
	return 0;
}

int rvs_net_hooks_on(struct net *net)
{
	struct rvs_net *rn;
	int err = 0;

	mutex_lock(&rvs_net_hooks_mutex);
	if (!rvs_hooks_live) {
		err = -ENODEV;
		goto out;
	}
	/* A namespace already on its way out gets no hooks: its exit may
	 * have run. Holding the reference keeps the exit from starting. */
	if (!maybe_get_net(net)) {
		err = -ENODEV;
		goto out;
	}
	rn = net_generic(net, rvs_net_id);
	if (!rn->hooked) {
		err = nf_register_net_hooks(net, rvs_hook_ops, RVS_NR_HOOKS);
		rn->hooked = !err;
	}
	put_net(net);
out:
	mutex_unlock(&rvs_net_hooks_mutex);
	return err;
}

void rvs_hook_unregister(void)
{
	mutex_lock(&rvs_net_hooks_mutex);
	rvs_hooks_live = false;
	mutex_unlock(&rvs_net_hooks_mutex);
	/* Runs the exit above for every namespace: unregisters the hooks
	 * where they are (each unregistration waits for running calls). */
	unregister_pernet_device(&rvs_net_ops);
	unregister_netdevice_notifier(&rvs_netdev_nb);
}

/* At the input hooks the network header is at skb->data (offset 0), so
 * this is skb->len; counted from the network header all the same. */
unsigned int rvs_skb_len(const struct sk_buff *skb) { return skb->len - skb_network_offset(skb); }
unsigned int rvs_skb_truesize(const struct sk_buff *skb) { return skb->truesize; }

/*
 * The first len bytes from the network header, made linear; NULL if the
 * packet is shorter or the pull failed. One call per header on the packet
 * path (pskb_may_pull itself is inline: nothing to do when the bytes are
 * already in the head).
 */
u8 *rvs_skb_pull_net(struct sk_buff *skb, unsigned int len)
{
	if (!pskb_may_pull(skb, skb_network_offset(skb) + len))
		return NULL;
	return skb_network_header(skb);
}

/* As rvs_skb_pull_net, and private to this skb (unshared if cloned). */
u8 *rvs_skb_writable_net(struct sk_buff *skb, unsigned int len)
{
	if (skb_ensure_writable(skb, skb_network_offset(skb) + len))
		return NULL;
	return skb_network_header(skb);
}

/* IPv4: ip_rcv_core validated the header and made it linear. */
unsigned int rvs_pre_routing_v4(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	if (likely(!ip_is_fragment(ip_hdr(skb))))
		return NF_ACCEPT;
	return rvs_frag_guard(skb, state, false);
}

/* IPv6: ip6_rcv_core validated the fixed header and made it linear; a
 * fragment header comes first or after one of these. */
unsigned int rvs_pre_routing_v6(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	switch (ipv6_hdr(skb)->nexthdr) {
	case NEXTHDR_FRAGMENT:
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_DEST:
	case NEXTHDR_AUTH:
		return rvs_frag_guard(skb, state, true);
	default:
		return NF_ACCEPT;
	}
}

u8 rvs_skb_ip_summed(const struct sk_buff *skb) { return skb->ip_summed; }
bool rvs_skb_is_gso(const struct sk_buff *skb) { return skb_is_gso(skb); }

int rvs_route_v4(struct net *net, struct sk_buff *skb, __be32 saddr, __be32 daddr)
{
	struct flowi4 fl4 = {
		.daddr = daddr,
		.saddr = saddr,
		.flowi4_flags = FLOWI_FLAG_ANYSRC,
	};
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb_dst_drop(skb);
	skb_dst_set(skb, &rt->dst);
	return dst_mtu(&rt->dst);
}

/*
 * Publishes dst (a reference the caller gives away) in slot s, its
 * cookie first, and drops the reference of the dst it replaces.
 */
static void route_slot_store(struct dst_entry **s, u32 *cookie, struct dst_entry *dst, u32 c)
{
	struct dst_entry *old;

	if (cookie)
		WRITE_ONCE(*cookie, c);
	old = xchg(s, dst);
	if (old)
		dst_release(old);
}

/*
 * The cache steps both families share, in this order. route_slot_hit
 * (every packet of a connection after its first, so inline and first):
 * the packet borrows the connection's cached dst if still valid.
 * route_shared_hit: the packet takes (with a reference, which becomes the
 * connection's) the real server's; false if it will not do.
 * route_cache_fill: a dst just looked up (its reference the packet's)
 * goes into both caches, each with a reference of its own.
 * cookie and shared_cookie: IPv6's fib cookies, NULL for IPv4 (checked
 * with 0). A cookie is written before its dst is published; a reader that
 * sees a dst with another's cookie finds it invalid and looks the route up
 * again, which is only slower.
 */
static __always_inline bool route_slot_hit(struct sk_buff *skb, struct dst_entry **s, u32 *cookie)
{
	struct dst_entry *dst = READ_ONCE(*s);

	if (likely(dst && dst_check(dst, cookie ? READ_ONCE(*cookie) : 0))) {
		skb_dst_drop(skb);
		skb_dst_set_noref(skb, dst);
		return true;
	}
	return false;
}

static bool route_shared_hit(struct sk_buff *skb, struct dst_entry **s, u32 *cookie, struct dst_entry **sh, u32 *shared_cookie)
{
	struct dst_entry *dst;
	u32 c;

	if (!sh)
		return false;
	dst = READ_ONCE(*sh);
	c = shared_cookie ? READ_ONCE(*shared_cookie) : 0;
	if (!dst || !dst_check(dst, c) || !dst_hold_safe(dst))
		return false;
	/* The reference taken is the connection's. */
	route_slot_store(s, cookie, dst, c);
	skb_dst_drop(skb);
	skb_dst_set_noref(skb, dst);
	return true;
}

static void route_cache_fill(struct sk_buff *skb, struct dst_entry *dst, u32 c, struct dst_entry **s, u32 *cookie,
			     struct dst_entry **sh, u32 *shared_cookie)
{
	dst_hold(dst);
	route_slot_store(s, cookie, dst, c);
	if (sh) {
		dst_hold(dst);
		route_slot_store(sh, shared_cookie, dst, c);
	}
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
}

/*
 * The route of one direction of a connection, cached in *slot (a held
 * dst, or NULL): its addresses never change, so the route is looked up
 * again only when the cached one is no longer valid (routing change, PMTU
 * or redirect update: dst_check). The packet borrows the cached dst
 * without a reference (as input routes do); the caller is inside an RCU
 * read section, and the stack takes a reference if it queues the packet.
 * A replaced or dropped dst is released: freed after a grace period, so
 * other CPUs still using it under RCU are safe.
 *
 * shared (may be NULL): a second cache, of the real server, that the new
 * connections toward it fill their own slot from. Without policy routing
 * rules the route depends on the destination alone, not on the local
 * address the connection uses; with them, every connection looks its own
 * route up. A dst read from it is only used with a reference taken while
 * it is still alive (dst_hold_safe, under RCU).
 *
 * known_nh (direct routing): the packet keeps its own destination (the
 * VIP) and goes to daddr's link-layer address: FLOWI_FLAG_KNOWN_NH makes
 * the route's next hop daddr itself, as IPVS's IP_VS_RT_MODE_KNOWN_NH
 * does (an uncached route, which the caches here keep). Direct routing
 * gives its real server's slot as the one cache, no shared one: a slot
 * holds routes of one kind only, and such a route depends on the real
 * server alone. rvs_netdev_event says why those slots are emptied when a
 * device goes.
 */
int rvs_route_cached_v4(struct net *net, struct sk_buff *skb, void **slot, void **shared, __be32 saddr, __be32 daddr,
			bool known_nh)
{
	struct dst_entry **s = (struct dst_entry **)slot;
	struct dst_entry **sh = (struct dst_entry **)shared;
	struct flowi4 fl4 = {
		.daddr = daddr,
		.saddr = saddr,
		.flowi4_flags = FLOWI_FLAG_ANYSRC | (known_nh ? FLOWI_FLAG_KNOWN_NH : 0),
	};
	struct rtable *rt;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "rvs_route_cached_v4 outside RCU");
	/* Every packet of a connection but its first: the cached route. */
	if (route_slot_hit(skb, s, NULL))
		return 0;
	sh = net->ipv4.fib_has_custom_rules ? NULL : sh;
	if (route_shared_hit(skb, s, NULL, sh, NULL))
		return 0;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	/* A next hop of this host's would bring the packet back to LOCAL_IN,
	 * and rvs would send it again: rvs has no local node. */
	if (known_nh && (rt->rt_flags & RTCF_LOCAL)) {
		ip_rt_put(rt);
		return -EHOSTUNREACH;
	}
	route_cache_fill(skb, &rt->dst, 0, s, NULL, sh, NULL);
	return 0;
}

/* The path MTU of the packet's route (set: rvs_route_*). */
unsigned int rvs_skb_dst_mtu(const struct sk_buff *skb) { return dst_mtu(skb_dst(skb)); }

/* Whether the packet's route (set: rvs_route_*) delivers to this host. */
bool rvs_skb_dst_is_local(const struct sk_buff *skb)
{
	const struct dst_entry *dst = skb_dst(skb);

	if (dst->ops->family == AF_INET6) {
#if IS_ENABLED(CONFIG_IPV6)
		return dst_rt6_info(dst)->rt6i_flags & RTF_LOCAL;
#else
		return false;
#endif
	}
	return dst_rtable(dst)->rt_flags & RTCF_LOCAL;
}

/* The packet's addresses or ports were rewritten and it goes on where the
 * stack takes it: a checksum of the whole packet the device gave no
 * longer holds (as skb_forward_csum). */
void rvs_skb_rewritten(struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
}

void rvs_route_cache_drop(void **slot)
{
	struct dst_entry *old = xchg((struct dst_entry **)slot, NULL);

	if (old)
		dst_release(old);
}

bool rvs_l4_csum_ok(struct sk_buff *skb, unsigned int thoff, u8 proto, bool v6)
{
	/* As conntrack checks at LOCAL_IN: trusts CHECKSUM_UNNECESSARY and a
	 * verified CHECKSUM_COMPLETE, else sums the segment (and records the
	 * result in the skb). */
	return nf_checksum(skb, NF_INET_LOCAL_IN, thoff, proto, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4) == 0;
}

/*
 * An IPv4 fragment passing through (FORWARD) joins its datagram's queue
 * (ip_vs_gather_frags). 0: the datagram is complete and is now `skb`,
 * header checksum written. Otherwise the fragment was taken (queued, or
 * freed on an error) and the hook must report it stolen.
 */
int rvs_ip_gather_frags(struct net *net, struct sk_buff *skb)
{
	int err;

	local_bh_disable();
	err = ip_defrag(net, skb, IP_DEFRAG_VS_FWD);
	local_bh_enable();
	if (!err)
		ip_send_check(ip_hdr(skb));
	return err;
}

int rvs_output_v4(struct net *net, struct sk_buff *skb)
{
	/* Input-path control block (options, defrag sizes) does not apply to
	 * the packet we send. */
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	/* The packet is ours now: no conntrack state follows it out. */
	nf_reset_ct(skb);
	skb->mark = 0;
	skb_forward_csum(skb);
	return ip_local_out(net, NULL, skb);
}

/*
 * IPv6: the route to daddr from saddr, for a packet of rvs's own. Sets the
 * skb's dst; returns the path MTU or a negative errno.
 */
int rvs_route_v6(struct net *net, struct sk_buff *skb, const u8 *saddr, const u8 *daddr)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct flowi6 fl6 = { .flowi6_flags = FLOWI_FLAG_ANYSRC };
	struct dst_entry *dst;
	int err;

	memcpy(&fl6.saddr, saddr, sizeof(fl6.saddr));
	memcpy(&fl6.daddr, daddr, sizeof(fl6.daddr));
	dst = ip6_route_output(net, NULL, &fl6);
	err = dst->error;
	if (err) {
		dst_release(dst);
		return err;
	}
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	return dst_mtu(dst);
#else
	return -EAFNOSUPPORT;
#endif
}

/*
 * IPv6: as rvs_route_cached_v4, with the cookie an IPv6 route is checked
 * against (rt6_get_cookie at lookup; dst_check fails once the fib entry
 * behind it changed) kept beside each cached dst. The shared cache is
 * skipped when the route may depend on the source: policy rules, or
 * source-specific routes (subtrees).
 */
int rvs_route_cached_v6(struct net *net, struct sk_buff *skb, void **slot, u32 *cookie, void **shared, u32 *shared_cookie,
			const u8 *saddr, const u8 *daddr, bool known_nh)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct dst_entry **s = (struct dst_entry **)slot;
	struct dst_entry **sh = (struct dst_entry **)shared;
	struct flowi6 fl6 = { .flowi6_flags = FLOWI_FLAG_ANYSRC | (known_nh ? FLOWI_FLAG_KNOWN_NH : 0) };
	struct dst_entry *dst;
	int err;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "rvs_route_cached_v6 outside RCU");
	if (route_slot_hit(skb, s, cookie))
		return 0;
#ifdef CONFIG_IPV6_MULTIPLE_TABLES
	if (net->ipv6.fib6_has_custom_rules)
		sh = NULL;
#endif
#ifdef CONFIG_IPV6_SUBTREES
	if (net->ipv6.fib6_routes_require_src)
		sh = NULL;
#endif
	if (route_shared_hit(skb, s, cookie, sh, shared_cookie))
		return 0;
	memcpy(&fl6.saddr, saddr, sizeof(fl6.saddr));
	memcpy(&fl6.daddr, daddr, sizeof(fl6.daddr));
	dst = ip6_route_output(net, NULL, &fl6);
	err = dst->error;
	if (!err && known_nh && (dst_rt6_info(dst)->rt6i_flags & RTF_LOCAL))
		err = -EHOSTUNREACH; /* as for IPv4 */
	if (err) {
		dst_release(dst);
		return err;
	}
	route_cache_fill(skb, dst, rt6_get_cookie(dst_rt6_info(dst)), s, cookie, sh, shared_cookie);
	return 0;
#else
	return -EAFNOSUPPORT;
#endif
}

int rvs_output_v6(struct net *net, struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_IPV6)
	/* As rvs_output_v4: nothing of the input path follows the packet. */
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	nf_reset_ct(skb);
	skb->mark = 0;
	skb_forward_csum(skb);
	skb->protocol = htons(ETH_P_IPV6);
	/* Sets the payload length from skb->len. */
	return ip6_local_out(net, NULL, skb);
#else
	kfree_skb(skb);
	return -EAFNOSUPPORT;
#endif
}

/*
 * A packet that goes on with its own addresses (direct routing,
 * tunnelling) has passed one more router: its TTL (hop limit) goes down
 * by one, as IPVS's decrement_ttl, and one that reaches zero gets its
 * sender an ICMP time exceeded (from this host's address toward it, the
 * input route being the packet's still) instead: a loop between
 * directors ends. 0, or -ETIMEDOUT (expired) or another negative errno;
 * the caller drops the packet on an error.
 */
int rvs_dec_ttl(struct sk_buff *skb, bool v6)
{
	if (!v6) {
		if (ip_hdr(skb)->ttl <= 1) {
			icmp_send(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
			return -ETIMEDOUT;
		}
		if (skb_ensure_writable(skb, sizeof(struct iphdr)))
			return -ENOMEM;
		ip_decrease_ttl(ip_hdr(skb));
		return 0;
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (ipv6_hdr(skb)->hop_limit <= 1) {
		icmpv6_send(skb, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0);
		return -ETIMEDOUT;
	}
	if (skb_ensure_writable(skb, sizeof(struct ipv6hdr)))
		return -ENOMEM;
	ipv6_hdr(skb)->hop_limit--;
	return 0;
#else
	return -EAFNOSUPPORT;
#endif
}

/*
 * Tunnelling (IPVS's ip_vs_tunnel_xmit and _v6): the packet as it came,
 * inside an outer header from the director to the real server daddr:
 * IPv4 in IPv4 (protocol 4) or IPv6 in IPv6 (next header 41), or with a
 * GUE or GRE encapsulation between them (encap_push).
 *
 * The real server's route and the source address it gives (the outer
 * header's, as IPVS takes it) are cached together in one small record
 * published in *slot under RCU, so that a packet never pairs one route
 * with another's source: one lookup per real server, again only when
 * dst_check fails (with the IPv6 cookie kept in the record). The packet
 * borrows the record's dst within the hook's RCU section; a replaced
 * record drops its reference at once (the dst itself is freed a grace
 * period after its last reference) and is freed a grace period later.
 * These are routes the fib owns (no KNOWN_NH), which let go of their
 * device when it goes.
 *
 * The outer header copies the inner one's DSCP, ECN (CE as ECT(0), as
 * IPVS's INET_ECN_encapsulate) and TTL (hop limit),
 * and DF from an IPv4 one (IPVS with pmtu_disc on, its default). A packet
 * over the route's MTU less the outer header and the encapsulation (an aggregated one: whose
 * segments would be) gets the client an ICMP fragmentation needed (IPv4,
 * with DF) or packet too big (IPv6) quoting it, from the VIP (the input
 * route is still the packet's then), as IPVS's ensure_mtu_is_adequate.
 * What goes on may still be fragmented as an outer packet (ignore_df,
 * as IPVS): an IPv4 one without DF.
 *
 * Not done (IPVS does): an ICMP error about the outer packet, from a
 * narrower link between the director and the real server, is not
 * translated for the client; the director's own link MTU is what it
 * learns.
 */
struct rvs_tun_route {
	struct dst_entry *dst;
	u32 cookie;
	union {
		__be32 v4;
		struct in6_addr v6;
	} saddr;
	struct rcu_head rcu;
};

static void tun_route_free(struct rvs_tun_route *r)
{
	dst_release(r->dst);
	kfree_rcu(r, rcu);
}

void rvs_tun_route_drop(void **slot)
{
	struct rvs_tun_route *old = xchg((struct rvs_tun_route **)slot, NULL);

	if (old)
		tun_route_free(old);
}

/* A route to daddr for the outer header, with its source: the cached
 * record's if still valid (*fresh NULL), else a new lookup (*fresh: its
 * dst, with the reference the packet is to take), cached when memory
 * allows. */
static struct rvs_tun_route *tun_route(struct net *net, void **slot, const u8 *daddr, bool v6,
				       struct rvs_tun_route *tmp, struct dst_entry **fresh)
{
	struct rvs_tun_route **s = (struct rvs_tun_route **)slot;
	struct rvs_tun_route *r = rcu_dereference(*s), *old;

	*fresh = NULL;
	if (r && dst_check(r->dst, r->cookie))
		return r;
	memset(tmp, 0, sizeof(*tmp));
	if (!v6) {
		struct flowi4 fl4 = { .daddr = get_unaligned((const __be32 *)daddr) };
		struct rtable *rt = ip_route_output_key(net, &fl4);

		if (IS_ERR(rt))
			return ERR_CAST(rt);
		/* The director itself as the real server would take the packet
		 * out again and hand it back to rvs. */
		if (rt->rt_flags & RTCF_LOCAL) {
			ip_rt_put(rt);
			return ERR_PTR(-EHOSTUNREACH);
		}
		tmp->dst = &rt->dst;
		tmp->saddr.v4 = fl4.saddr;
	} else {
#if IS_ENABLED(CONFIG_IPV6)
		struct flowi6 fl6 = { };
		struct dst_entry *dst = NULL;
		int err;

		memcpy(&fl6.daddr, daddr, sizeof(fl6.daddr));
		/* Looks the source up too (ip6_route_output leaves it). */
		err = ip6_dst_lookup(net, NULL, &dst, &fl6);
		if (err)
			return ERR_PTR(err);
		if (dst_rt6_info(dst)->rt6i_flags & RTF_LOCAL) {
			dst_release(dst);
			return ERR_PTR(-EHOSTUNREACH);
		}
		tmp->dst = dst;
		tmp->cookie = rt6_get_cookie(dst_rt6_info(dst));
		tmp->saddr.v6 = fl6.saddr;
#else
		return ERR_PTR(-EAFNOSUPPORT);
#endif
	}
	*fresh = tmp->dst;
	r = kmalloc(sizeof(*r), GFP_ATOMIC);
	if (!r)
		return tmp;
	*r = *tmp;
	dst_hold(r->dst);
	old = xchg(s, r);
	if (old)
		tun_route_free(old);
	return r;
}

/* Over mtu: an aggregated packet whose segments would be, once cut
 * (IPVS's ip_vs_exceeds_mtu). */
static bool exceeds_mtu(const struct sk_buff *skb, unsigned int mtu)
{
	if (skb->len <= mtu)
		return false;
	return !(skb_is_gso(skb) && skb_gso_validate_network_len(skb, mtu));
}

/* Whether a packet of the input path that goes on with its client's
 * addresses is too big for a path of MTU mtu, and if so its sender told
 * (IPVS's ensure_mtu_is_adequate): an IPv4 one with DF gets an ICMP
 * fragmentation needed, an IPv6 one a packet too big (a datagram conntrack
 * reassembled: its largest fragment is what the sender sent, as IPVS's
 * __mtu_check_toobig_v6). The error quotes the packet's addresses and
 * ports as the sender sent them (its TTL is one less by then), so it must
 * be sent before they are rewritten. Its source: the VIP while the
 * packet still has its input route (tunnelling), else the address the
 * route back to the sender gives (NAT, routed by then). */
static bool too_big(struct sk_buff *skb, unsigned int mtu, bool v6)
{
	if (!v6) {
		if ((ip_hdr(skb)->frag_off & htons(IP_DF)) && exceeds_mtu(skb, mtu)) {
			icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
			return true;
		}
		return false;
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (IP6CB(skb)->frag_max_size ? IP6CB(skb)->frag_max_size > mtu : exceeds_mtu(skb, mtu)) {
		icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
		return true;
	}
#endif
	return false;
}

/* NAT, before it rewrites the client's packet (routed: its dst set): as
 * too_big, for the route's MTU. */
bool rvs_too_big(struct sk_buff *skb, bool v6)
{
	return too_big(skb, dst_mtu(skb_dst(skb)), v6);
}

/* The encapsulation between the outer IP header and the packet: GUE's
 * UDP and GUE headers, or GRE's header (with its checksum field when
 * asked), as IPVS's ipvs_gue_encap and ipvs_gre_encap build them; 0 for
 * IPIP. */
static unsigned int encap_len(u8 type, u16 flags)
{
	IP_TUNNEL_DECLARE_FLAGS(tflags) = { };

	switch (type) {
	case RVS_TUN_GUE:
		return sizeof(struct udphdr) + sizeof(struct guehdr);
	case RVS_TUN_GRE:
		if (flags & RVS_TUN_CSUM)
			__set_bit(IP_TUNNEL_CSUM_BIT, tflags);
		return gre_calc_hlen(tflags);
	default:
		return 0;
	}
}

/* What GSO must know of the encapsulation (IPVS's choice of gso_type). */
static int encap_gso_type(u8 type, u16 flags, bool v6)
{
	int t = v6 ? SKB_GSO_IPXIP6 : SKB_GSO_IPXIP4;

	if (type == RVS_TUN_GUE)
		t |= (flags & RVS_TUN_CSUM) ? SKB_GSO_UDP_TUNNEL_CSUM : SKB_GSO_UDP_TUNNEL;
	else if (type == RVS_TUN_GRE)
		t |= (flags & RVS_TUN_CSUM) ? SKB_GSO_GRE_CSUM : SKB_GSO_GRE;
	return t;
}

/* Pushes the encapsulation in front of the inner packet (skb->data);
 * returns the outer header's protocol. GUE: a GUE header (version 0, no
 * options) naming the inner protocol, inside UDP to the real server's
 * port from a source port hashed on the inner flow (so that ECMP and RSS
 * spread the flows); its checksum is set once the outer addresses are
 * known (encap_udp_csum). GRE: the base header naming the inner packet's
 * ethertype, with a checksum when asked. */
static u8 encap_push(struct net *net, struct sk_buff *skb, u8 type, __be16 port, u16 flags, bool v6)
{
	u8 inner = v6 ? IPPROTO_IPV6 : IPPROTO_IPIP;

	if (type == RVS_TUN_GUE) {
		struct guehdr *gueh;
		struct udphdr *uh;
		__be16 sport = udp_flow_src_port(net, skb, 0, 0, false);

		gueh = skb_push(skb, sizeof(*gueh));
		memset(gueh, 0, sizeof(*gueh));
		gueh->proto_ctype = inner;
		uh = skb_push(skb, sizeof(*uh));
		skb_reset_transport_header(skb);
		uh->dest = port;
		uh->source = sport;
		uh->len = htons(skb->len);
		uh->check = 0;
		return IPPROTO_UDP;
	}
	if (type == RVS_TUN_GRE) {
		IP_TUNNEL_DECLARE_FLAGS(tflags) = { };

		if (flags & RVS_TUN_CSUM)
			__set_bit(IP_TUNNEL_CSUM_BIT, tflags);
		gre_build_header(skb, gre_calc_hlen(tflags), tflags, v6 ? htons(ETH_P_IPV6) : htons(ETH_P_IP), 0, 0);
		return IPPROTO_GRE;
	}
	return inner;
}

int rvs_tunnel(struct net *net, struct sk_buff *skb, void **slot, const u8 *daddr, bool v6, u8 type, __be16 port,
	       u16 flags)
{
	struct rvs_tun_route tmp, *r;
	struct dst_entry *fresh, *dst;
	unsigned int hlen = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	unsigned int elen = encap_len(type, flags);
	unsigned int mtu;
	u8 dsfield, ttl, proto;
	__be16 df = 0;
	int err;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "rvs_tunnel outside RCU");
	r = tun_route(net, slot, daddr, v6, &tmp, &fresh);
	if (IS_ERR(r))
		return PTR_ERR(r);
	dst = r->dst;
	mtu = dst_mtu(dst) - hlen - elen;
	if (mtu < (v6 ? IPV6_MIN_MTU : 68)) {
		err = -EMSGSIZE;
		goto drop;
	}
	if (too_big(skb, mtu, v6)) {
		err = -EMSGSIZE;
		goto drop;
	}
	err = skb_cow_head(skb, LL_RESERVED_SPACE(dst->dev) + hlen + elen);
	if (err)
		goto drop;
	/* Early demux may have given it a socket of this host's. */
	skb_orphan(skb);
	skb_dst_drop(skb);
	if (fresh)
		skb_dst_set(skb, fresh);
	else
		skb_dst_set_noref(skb, dst);
	fresh = NULL;
	if (!v6) {
		const struct iphdr *in = ip_hdr(skb);

		dsfield = ipv4_get_dsfield(in);
		ttl = in->ttl;
		df = in->frag_off & htons(IP_DF);
	} else {
		const struct ipv6hdr *in = ipv6_hdr(skb);

		dsfield = ipv6_get_dsfield(in);
		ttl = in->hop_limit;
	}
	/* ECN as IPVS encapsulates it: CE outside becomes ECT(0). */
	dsfield = INET_ECN_encapsulate(dsfield, dsfield);
	err = iptunnel_handle_offloads(skb, encap_gso_type(type, flags, v6));
	if (err)
		return err;
	/* The inner packet is the outer one's transport, with no link-layer
	 * header of its own. */
	skb->transport_header = skb->network_header;
	skb_set_inner_ipproto(skb, v6 ? IPPROTO_IPV6 : IPPROTO_IPIP);
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));
	proto = encap_push(net, skb, type, port, flags, v6);
	skb_push(skb, hlen);
	skb_reset_network_header(skb);
	/* The outer packet may be fragmented (an aggregated one's segments
	 * grew by the outer header): the director is its source. Set before
	 * the IPv4 identification is chosen, so that it gets a real one. */
	skb->ignore_df = 1;
	if (!v6) {
		struct iphdr *iph = ip_hdr(skb);

		iph->version = 4;
		iph->ihl = sizeof(*iph) >> 2;
		iph->tos = dsfield;
		iph->frag_off = df;
		iph->ttl = ttl;
		iph->protocol = proto;
		iph->saddr = r->saddr.v4;
		iph->daddr = get_unaligned((const __be32 *)daddr);
		/* tot_len and the checksum: ip_local_out. One identification
		 * per segment an aggregated packet becomes. */
		ip_select_ident_segs(net, skb, NULL, max_t(int, 1, skb_shinfo(skb)->gso_segs));
		skb->protocol = htons(ETH_P_IP);
		/* GUE's UDP checksum, over the outer addresses (none without
		 * the flag, as IPVS: UDP over IPv4 may go without). */
		if (type == RVS_TUN_GUE)
			udp_set_csum(!(flags & RVS_TUN_CSUM), skb, iph->saddr, iph->daddr, skb->len - hlen);
	} else {
		struct ipv6hdr *ip6 = ipv6_hdr(skb);

		ip6_flow_hdr(ip6, dsfield, 0);
		ip6->nexthdr = proto;
		ip6->hop_limit = ttl;
		ip6->saddr = r->saddr.v6;
		memcpy(&ip6->daddr, daddr, sizeof(ip6->daddr));
		/* payload_len: ip6_local_out. */
		skb->protocol = htons(ETH_P_IPV6);
		/* Over IPv6, as IPVS: a zero checksum without the flag, which
		 * the real server's GUE socket accepts only if set up to
		 * (RFC 6935); with it, a full one. */
#if IS_ENABLED(CONFIG_IPV6)
		if (type == RVS_TUN_GUE)
			udp6_set_csum(!(flags & RVS_TUN_CSUM), skb, &ip6->saddr, &ip6->daddr, skb->len - hlen);
#endif
	}
	return 0;
drop:
	if (fresh)
		dst_release(fresh);
	return err;
}

int rvs_skb_insert_room(struct sk_buff *skb, unsigned int off, unsigned int len, unsigned int ihl)
{
	int err;

	if (skb_network_offset(skb) != 0)
		return -EINVAL;
	err = skb_cow_head(skb, len);
	if (err)
		return err;
	skb_push(skb, len);
	memmove(skb->data, skb->data + len, off);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, ihl);
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		skb->csum_start -= len;
	return 0;
}

/*
 * NAT64: the network header in front of the transport header, old_l4
 * bytes (made linear and private by the caller), becomes one of new_l4
 * bytes, to be written by the caller; the transport bytes stay where they
 * are, so csum_start (counted from skb->head, which pskb_expand_head
 * keeps right) still points at the transport header. An aggregated
 * packet's TCP GSO type follows the family; its gso_size is left alone:
 * it is the payload per segment, which the MSS both sides agreed on
 * already bounds (the SYN-ACK to an IPv6 client announces 20 bytes less).
 * A CHECKSUM_COMPLETE sum covered the old header: dropped.
 */
int rvs_skb_change_family(struct sk_buff *skb, unsigned int old_l4, unsigned int new_l4, bool to_v6)
{
	struct skb_shared_info *si = skb_shinfo(skb);
	int err;

	if (skb_network_offset(skb) != 0 || skb_headlen(skb) < old_l4)
		return -EINVAL;
	if (new_l4 > old_l4) {
		err = skb_cow_head(skb, new_l4 - old_l4);
		if (err)
			return err;
		skb_push(skb, new_l4 - old_l4);
	} else {
		__skb_pull(skb, old_l4 - new_l4);
	}
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, new_l4);
	if (skb_is_gso(skb)) {
		if (to_v6 && (si->gso_type & SKB_GSO_TCPV4)) {
			si->gso_type &= ~(SKB_GSO_TCPV4 | SKB_GSO_TCP_FIXEDID);
			si->gso_type |= SKB_GSO_TCPV6;
		} else if (!to_v6 && (si->gso_type & SKB_GSO_TCPV6)) {
			si->gso_type &= ~SKB_GSO_TCPV6;
			si->gso_type |= SKB_GSO_TCPV4;
		}
	}
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	skb->protocol = to_v6 ? htons(ETH_P_IPV6) : htons(ETH_P_IP);
	skb_clear_hash(skb);
	return 0;
}

struct sk_buff *rvs_skb_alloc(unsigned int len, bool v6)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + len, GFP_ATOMIC);

	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_HEADER);
	skb_put_zero(skb, len);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr));
	skb->protocol = v6 ? htons(ETH_P_IPV6) : htons(ETH_P_IP);
	return skb;
}

int rvs_skb_reshape(struct sk_buff *skb, unsigned int len, unsigned int thoff)
{
	int err;

	if (skb_network_offset(skb) != 0 || skb_is_gso(skb))
		return -EINVAL;
	skb_orphan(skb);
	err = skb_linearize_cow(skb);
	if (err)
		return err;
	if (len < skb->len) {
		__skb_trim(skb, len);
	} else if (len > skb->len) {
		unsigned int need = len - skb->len;

		if (skb_tailroom(skb) < need) {
			err = pskb_expand_head(skb, 0, need - skb_tailroom(skb), GFP_ATOMIC);
			if (err)
				return err;
		}
		skb_put(skb, need);
	}
	skb_set_transport_header(skb, thoff);
	skb->ip_summed = CHECKSUM_NONE;
	skb->csum_valid = 0;
	return 0;
}

void rvs_skb_keep(struct sk_buff *skb)
{
	skb_orphan(skb);
	skb_dst_drop(skb);
	/* The input device is not held: nothing may reach it later (output
	 * takes its device from the route set when the packet is released). */
	skb->dev = NULL;
}

void rvs_kfree_skb(struct sk_buff *skb) { kfree_skb(skb); }

/* The key is the namespace's (src/state.rs, SynproxySettings), two u64s
 * as siphash_key_t holds them, copied by the caller for the call. */
u32 rvs_cookie_hash(const u64 *key, __be32 saddr, __be32 daddr, __be16 sport, __be16 dport, u32 extra)
{
	siphash_key_t k = { .key = { key[0], key[1] } };

	return siphash_4u32((__force u32)saddr, (__force u32)daddr,
			    (__force u32)sport << 16 | (__force u32)dport, extra, &k);
}

/* The IPv6 twin: both 16-byte addresses, the ports and `extra`, under the
 * same key. */
u32 rvs_cookie_hash6(const u64 *key, const u8 *saddr, const u8 *daddr, __be16 sport, __be16 dport, u32 extra)
{
	siphash_key_t k = { .key = { key[0], key[1] } };
	struct {
		u8 saddr[16], daddr[16];
		u32 ports, extra;
	} __aligned(SIPHASH_ALIGNMENT) in;

	memcpy(in.saddr, saddr, 16);
	memcpy(in.daddr, daddr, 16);
	in.ports = (__force u32)sport << 16 | (__force u32)dport;
	in.extra = extra;
	return siphash(&in, sizeof(in), &k);
}

void rvs_random_bytes(void *p, size_t n) { get_random_bytes(p, n); }
u64 rvs_real_seconds(void) { return ktime_get_real_seconds(); }

void rvs_rcu_read_lock(void) { rcu_read_lock(); }
void rvs_rcu_read_unlock(void) { rcu_read_unlock(); }
void rvs_synchronize_rcu(void) { synchronize_rcu(); }

bool rvs_net_has_addr(struct net *net, const u8 *addr, bool v6)
{
	struct in6_addr a6;

	if (!v6)
		return inet_addr_type(net, get_unaligned((const __be32 *)addr)) == RTN_LOCAL;
#if IS_ENABLED(CONFIG_IPV6)
	memcpy(&a6, addr, sizeof(a6));
	return ipv6_chk_addr(net, &a6, NULL, 0);
#else
	return false;
#endif
}

static DEFINE_MUTEX(rvs_gc_mutex);
void rvs_gc_lock(void) { mutex_lock(&rvs_gc_mutex); }
void rvs_gc_unlock(void) { mutex_unlock(&rvs_gc_mutex); }

static DEFINE_MUTEX(rvs_cfg_mutex);
void rvs_cfg_lock(void) { mutex_lock(&rvs_cfg_mutex); }
void rvs_cfg_unlock(void) { mutex_unlock(&rvs_cfg_mutex); }

static spinlock_t *rvs_locks;
static unsigned int rvs_nlocks;

int rvs_locks_init(unsigned int n)
{
	unsigned int i;

	/* One array: a second one would replace the first under its users. */
	if (rvs_locks)
		return -EBUSY;
	rvs_locks = kvmalloc_array(n, sizeof(*rvs_locks), GFP_KERNEL);
	if (!rvs_locks)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		spin_lock_init(&rvs_locks[i]);
	rvs_nlocks = n;
	return 0;
}

void rvs_locks_free(void)
{
	kvfree(rvs_locks);
	rvs_locks = NULL;
	rvs_nlocks = 0;
}

void rvs_lock_bh(unsigned int i) { spin_lock_bh(&rvs_locks[i % rvs_nlocks]); }
void rvs_unlock_bh(unsigned int i) { spin_unlock_bh(&rvs_locks[i % rvs_nlocks]); }
void rvs_lock_nested(unsigned int i) { spin_lock_nested(&rvs_locks[i % rvs_nlocks], SINGLE_DEPTH_NESTING); }
void rvs_unlock(unsigned int i) { spin_unlock(&rvs_locks[i % rvs_nlocks]); }

void *rvs_pcpu_alloc(unsigned int n)
{
	return (void __force *)__alloc_percpu(sizeof(u64) * n, sizeof(u64));
}

void rvs_pcpu_free(void *p) { free_percpu((void __percpu __force *)p); }

void rvs_pcpu_add(void *p, unsigned int idx, u64 v)
{
	u64 __percpu *c = (u64 __percpu __force *)p;

	this_cpu_add(c[idx], v);
}

/* For each of the four blocks p[i] that is not NULL: a to counter idx[i],
 * b to counter idx[i] + 1, on this CPU. */
void rvs_pcpu_add_pairs(void *const p[4], const unsigned int idx[4], u64 a, u64 b)
{
	int i;

	for (i = 0; i < 4; i++) {
		u64 __percpu *c = (u64 __percpu __force *)p[i];

		if (!c)
			continue;
		this_cpu_add(c[idx[i]], a);
		this_cpu_add(c[idx[i] + 1], b);
	}
}

u64 rvs_pcpu_sum(void *p, unsigned int idx)
{
	u64 __percpu *c = (u64 __percpu __force *)p;
	u64 s = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		s += *per_cpu_ptr(&c[idx], cpu);
	return s;
}

void *rvs_kvzalloc(size_t size) { return kvzalloc(size, GFP_KERNEL); }
void rvs_kvfree(void *p) { kvfree(p); }

u64 rvs_jiffies64(void) { return get_jiffies_64(); }
u32 rvs_random_u32(void) { return get_random_u32(); }

u32 rvs_secure_tcp_seq(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	return secure_tcp_seq(saddr, daddr, sport, dport);
}

u32 rvs_secure_tcpv6_seq(const u8 *saddr, const u8 *daddr, __be16 sport, __be16 dport)
{
#if IS_ENABLED(CONFIG_IPV6)
	u32 s[4], d[4];

	memcpy(s, saddr, 16);
	memcpy(d, daddr, 16);
	return secure_tcpv6_seq((const __be32 *)s, (const __be32 *)d, sport, dport);
#else
	return get_random_u32();
#endif
}

static unsigned int gc_period_ms;
static void gc_work_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(gc_work, gc_work_fn);

static void gc_work_fn(struct work_struct *w)
{
	rvs_gc_tick();
	queue_delayed_work(system_long_wq, &gc_work, msecs_to_jiffies(gc_period_ms));
}

void rvs_gc_start(unsigned int period_ms)
{
	gc_period_ms = period_ms;
	queue_delayed_work(system_long_wq, &gc_work, msecs_to_jiffies(period_ms));
}

void rvs_gc_stop(void)
{
	/* Also stops the self-requeueing. */
	cancel_delayed_work_sync(&gc_work);
}

/*
 * Connection sync's sockets. Options go through the socket's own
 * setsockopt (kernel pointers), as a program would set them, so that the
 * protocol's locking and checks apply.
 */
static int sync_setsockopt(struct socket *sock, int level, int name, const void *val, unsigned int len)
{
	return sock->ops->setsockopt(sock, level, name, KERNEL_SOCKPTR((void *)val), len);
}

/*
 * A kernel UDP socket of net's, of the family v6 says, for sync over the
 * interface ifname: its index and MTU go to *ifindex and *mtu. NULL and
 * *err (-errno) on failure.
 */
static struct socket *sync_udp_sock(struct net *net, const char *ifname, bool v6,
				    int *ifindex, unsigned int *mtu, int *err)
{
	struct net_device *dev;
	struct socket *sock;
	int r;

	dev = dev_get_by_name(net, ifname);
	if (!dev) {
		*err = -ENODEV;
		return NULL;
	}
	*ifindex = dev->ifindex;
	*mtu = READ_ONCE(dev->mtu);
	dev_put(dev);

	r = sock_create_kern(net, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP, &sock);
	if (r < 0) {
		*err = r;
		return NULL;
	}
	return sock;
}

struct socket *rvs_sync_master_sock(struct net *net, const char *ifname, bool v6,
				    const u8 *group, u16 port, u8 ttl, int sock_size,
				    unsigned int *mtu, int *err)
{
	struct sockaddr_storage to = {};
	struct socket *sock;
	int ifindex, one_ttl = ttl, off = 0, no_df;
	int r;

	sock = sync_udp_sock(net, ifname, v6, &ifindex, mtu, err);
	if (!sock)
		return NULL;
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;

		no_df = IPV6_PMTUDISC_DONT;
		r = sync_setsockopt(sock, SOL_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex));
		if (!r)
			r = sync_setsockopt(sock, SOL_IPV6, IPV6_MULTICAST_HOPS, &one_ttl, sizeof(one_ttl));
		if (!r)
			r = sync_setsockopt(sock, SOL_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off));
		if (!r)
			r = sync_setsockopt(sock, SOL_IPV6, IPV6_MTU_DISCOVER, &no_df, sizeof(no_df));
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, group, 16);
		sin6->sin6_port = htons(port);
		/* A link-local group is reached through the interface. */
		if (ipv6_addr_type(&sin6->sin6_addr) & IPV6_ADDR_LINKLOCAL)
			sin6->sin6_scope_id = ifindex;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;
		struct ip_mreqn mreq = { .imr_ifindex = ifindex };

		no_df = IP_PMTUDISC_DONT;
		r = sync_setsockopt(sock, SOL_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq));
		if (!r)
			r = sync_setsockopt(sock, SOL_IP, IP_MULTICAST_TTL, &one_ttl, sizeof(one_ttl));
		if (!r)
			r = sync_setsockopt(sock, SOL_IP, IP_MULTICAST_LOOP, &off, sizeof(off));
		if (!r)
			r = sync_setsockopt(sock, SOL_IP, IP_MTU_DISCOVER, &no_df, sizeof(no_df));
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, group, 4);
		sin->sin_port = htons(port);
	}
	/*
	 * sync_sock_size, as upstream's set_sock_size: SO_SNDBUF's rule
	 * (at most net.core.wmem_max, doubled, locked).
	 */
	if (!r && sock_size > 0)
		r = sock_setsockopt(sock, SOL_SOCKET, SO_SNDBUF, KERNEL_SOCKPTR(&sock_size), sizeof(sock_size));
	if (!r)
		r = kernel_connect(sock, (struct sockaddr *)&to,
				   v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), 0);
	if (r < 0) {
		sock_release(sock);
		*err = r;
		return NULL;
	}
	return sock;
}

int rvs_sync_send(struct socket *sock, const void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };

	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

void rvs_sync_sock_release(struct socket *sock)
{
	sock_release(sock);
}

/*
 * A backup's receiving side. A datagram's arrival (softirq, where
 * sk_data_ready is called, inside an RCU read-side section) queues the
 * receive work, which reads the socket until it is empty. The work is
 * queued only while rx_on is set: rvs_sync_rx_stop() clears it, waits a
 * grace period (every arrival that saw it set has queued by then) and
 * then cancels the work, so nothing queues it once the module goes.
 */
static bool rx_on;
/* A UDP socket's own callback (sock_def_readable, not exported), put back at release. */
static void (*rx_def_ready)(struct sock *sk);
static void sync_rx_fn(struct work_struct *w);
static DECLARE_WORK(sync_rx_work, sync_rx_fn);

static void sync_rx_fn(struct work_struct *w)
{
	/* Another round later rather than a long one now. */
	if (rvs_sync_rx() && READ_ONCE(rx_on))
		queue_work(system_long_wq, &sync_rx_work);
}

static void sync_data_ready(struct sock *sk)
{
	if (READ_ONCE(rx_on))
		queue_work(system_long_wq, &sync_rx_work);
}

void rvs_sync_rx_start(void)
{
	WRITE_ONCE(rx_on, true);
}

void rvs_sync_rx_stop(void)
{
	WRITE_ONCE(rx_on, false);
	synchronize_rcu();
	cancel_work_sync(&sync_rx_work);
}

struct socket *rvs_sync_backup_sock(struct net *net, const char *ifname, bool v6,
				    const u8 *group, u16 port, int rcvbuf, int sock_size,
				    unsigned int *mtu, int *err)
{
	struct sockaddr_storage at = {};
	struct socket *sock;
	int ifindex, alen;
	int r;

	sock = sync_udp_sock(net, ifname, v6, &ifindex, mtu, err);
	if (!sock)
		return NULL;
	/* Other listeners of the group on the host may bind it too. */
	sock_set_reuseaddr(sock->sk);
	/*
	 * sync_sock_size, as upstream's set_sock_size: SO_RCVBUF's rule (at
	 * most net.core.rmem_max, doubled, locked). Without it rcvbuf, set
	 * as that does but unclamped: a burst of a busy master's messages
	 * waits here.
	 */
	if (sock_size > 0) {
		r = sock_setsockopt(sock, SOL_SOCKET, SO_RCVBUF, KERNEL_SOCKPTR(&sock_size), sizeof(sock_size));
		if (r < 0) {
			sock_release(sock);
			*err = r;
			return NULL;
		}
	} else {
		lock_sock(sock->sk);
		sock->sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
		WRITE_ONCE(sock->sk->sk_rcvbuf, max_t(int, rcvbuf, SOCK_MIN_RCVBUF));
		release_sock(sock->sk);
	}
	/* Only what arrives on the interface. */
	r = sock_bindtoindex(sock->sk, ifindex, true);
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&at;
		struct ipv6_mreq mreq = { .ipv6mr_ifindex = ifindex };

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, group, 16);
		sin6->sin6_port = htons(port);
		if (ipv6_addr_type(&sin6->sin6_addr) & IPV6_ADDR_LINKLOCAL)
			sin6->sin6_scope_id = ifindex;
		memcpy(&mreq.ipv6mr_multiaddr, group, 16);
		alen = sizeof(*sin6);
		if (!r)
			r = sync_setsockopt(sock, SOL_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq));
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&at;
		struct ip_mreqn mreq = { .imr_ifindex = ifindex };

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, group, 4);
		sin->sin_port = htons(port);
		memcpy(&mreq.imr_multiaddr, group, 4);
		alen = sizeof(*sin);
		if (!r)
			r = sync_setsockopt(sock, SOL_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq));
	}
	if (!r)
		r = kernel_bind(sock, (struct sockaddr *)&at, alen);
	if (r < 0) {
		sock_release(sock);
		*err = r;
		return NULL;
	}
	write_lock_bh(&sock->sk->sk_callback_lock);
	WRITE_ONCE(rx_def_ready, sock->sk->sk_data_ready);
	sock->sk->sk_data_ready = sync_data_ready;
	write_unlock_bh(&sock->sk->sk_callback_lock);
	return sock;
}

int rvs_sync_recv(struct socket *sock, void *buf, size_t len, u8 *from, bool *trunc)
{
	struct sockaddr_storage src = {};
	struct msghdr msg = { .msg_name = &src, .msg_namelen = sizeof(src) };
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int r;

	r = kernel_recvmsg(sock, &msg, &iov, 1, len, MSG_DONTWAIT);
	if (r < 0)
		return r;
	*trunc = msg.msg_flags & MSG_TRUNC;
	memset(from, 0, 16);
	if (src.ss_family == AF_INET6) {
		memcpy(from, &((struct sockaddr_in6 *)&src)->sin6_addr, 16);
	} else if (src.ss_family == AF_INET) {
		from[10] = 0xff;
		from[11] = 0xff;
		memcpy(from + 12, &((struct sockaddr_in *)&src)->sin_addr, 4);
	}
	return r;
}

void rvs_sync_rx_sock_release(struct socket *sock)
{
	write_lock_bh(&sock->sk->sk_callback_lock);
	if (sock->sk->sk_data_ready == sync_data_ready && READ_ONCE(rx_def_ready))
		sock->sk->sk_data_ready = READ_ONCE(rx_def_ready);
	write_unlock_bh(&sock->sk->sk_callback_lock);
	sock_release(sock);
}

static unsigned int sync_period_ms;
static void sync_work_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(sync_work, sync_work_fn);

static void sync_work_fn(struct work_struct *w)
{
	rvs_sync_tick();
	queue_delayed_work(system_long_wq, &sync_work, msecs_to_jiffies(sync_period_ms));
}

void rvs_sync_work_start(unsigned int period_ms)
{
	sync_period_ms = period_ms;
	queue_delayed_work(system_long_wq, &sync_work, msecs_to_jiffies(period_ms));
}

void rvs_sync_work_stop(void)
{
	cancel_delayed_work_sync(&sync_work);
}

void rvs_sync_work_now(void)
{
	mod_delayed_work(system_long_wq, &sync_work, 0);
}

void rvs_local_bh_disable(void)
{
	local_bh_disable();
}

void rvs_local_bh_enable(void)
{
	local_bh_enable();
}
