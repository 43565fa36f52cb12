// SPDX-License-Identifier: GPL-2.0
/* C helpers of toa.ko; see helpers.h. */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in6.h>
#include <linux/netfilter.h>
#include <linux/uaccess.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include "helpers.h"

MODULE_VERSION(RVS_VERSION);

/*
 * The directors whose TOA is believed (see core/src/toa_trust.rs): read
 * once at load, so 0444.
 */
static char *trusted = "";
module_param(trusted, charp, 0444);
MODULE_PARM_DESC(trusted, "comma-separated ADDR[/LEN] of the directors' local addresses whose TOA is believed (empty: every peer)");

const char *toa_param_trusted(void) { return trusted ? trusted : ""; }

static spinlock_t toa_locks[TOA_NBUCKETS];

void toa_locks_init(void)
{
	unsigned int i;

	for (i = 0; i < TOA_NBUCKETS; i++)
		spin_lock_init(&toa_locks[i]);
}

unsigned long toa_lock(unsigned int i)
{
	unsigned long flags;

	spin_lock_irqsave(&toa_locks[i % TOA_NBUCKETS], flags);
	return flags;
}

void toa_unlock(unsigned int i, unsigned long flags)
{
	spin_unlock_irqrestore(&toa_locks[i % TOA_NBUCKETS], flags);
}

struct toa_pcpu {
	u64 c[TOA_NR_STATS];
};
static DEFINE_PER_CPU(struct toa_pcpu, toa_pcpu);

void toa_stat_inc(unsigned int idx)
{
	if (idx < TOA_NR_STATS)
		this_cpu_inc(toa_pcpu.c[idx]);
}

u64 toa_stat_sum(unsigned int idx)
{
	u64 s = 0;
	int cpu;

	if (idx >= TOA_NR_STATS)
		return 0;
	for_each_possible_cpu(cpu)
		s += per_cpu(toa_pcpu.c[idx], cpu);
	return s;
}

/*
 * tcp_v4_syn_recv_sock(sk, skb, req, dst, req_unhash, own_req): the skb is
 * the segment completing the handshake (also for an IPv6 listener's
 * v4-mapped connection, which tcp_v6_syn_recv_sock hands to this function).
 * tcp_v4_rcv has made its whole TCP header linear and checked doff >= 5.
 */
static int syn_recv_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct sk_buff *skb = (const void *)regs_get_kernel_argument(regs, 1);
	const struct tcphdr *th = tcp_hdr(skb);
	unsigned int doff = th->doff * 4;
	struct in6_addr saddr;

	if (doff < sizeof(*th))
		return 1;
	ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr, &saddr);
	return toa_rs_syn_recv_entry(ri->data, (const u8 *)(th + 1), doff - sizeof(*th),
				     saddr.s6_addr, th->source, false);
}

/*
 * tcp_v6_syn_recv_sock(sk, skb, req, dst, req_unhash, own_req, ...): an IPv6
 * listener's handshake. For a v4-mapped connection (an IPv4 skb) it calls
 * tcp_v4_syn_recv_sock, whose probe records it: not this one. For an IPv6
 * skb tcp_v6_rcv has made the whole TCP header linear (doff * 4 pulled) and
 * the network header is the IPv6 header (the function reads its hop limit).
 */
static int syn_recv6_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct sk_buff *skb = (const void *)regs_get_kernel_argument(regs, 1);
	const struct tcphdr *th;
	unsigned int doff;

	if (skb->protocol == htons(ETH_P_IP))
		return 1;
	th = tcp_hdr(skb);
	doff = th->doff * 4;
	if (doff < sizeof(*th))
		return 1;
	return toa_rs_syn_recv_entry(ri->data, (const u8 *)(th + 1), doff - sizeof(*th),
				     ipv6_hdr(skb)->saddr.s6_addr, th->source, true);
}

static int syn_recv_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	toa_rs_syn_recv_ret(ri->data, (struct sock *)regs_return_value(regs));
	return 0;
}

/* inet_getname / inet6_getname(sock, uaddr, peer) */
static int getname_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct socket *sock = (const void *)regs_get_kernel_argument(regs, 0);

	return toa_rs_getname_entry(ri->data, sock->sk, (void *)regs_get_kernel_argument(regs, 1),
				    (int)regs_get_kernel_argument(regs, 2));
}

static int getname_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	toa_rs_getname_ret(ri->data, (long)regs_return_value(regs));
	return 0;
}

/* sk_destruct(sk): every socket's memory is released through here. */
static int destruct_pre(struct kprobe *p, struct pt_regs *regs)
{
	toa_rs_sk_destruct((struct sock *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kretprobe toa_krp[4] = {
	[TOA_PROBE_SYN_RECV] = {
		.kp.symbol_name = "tcp_v4_syn_recv_sock",
		.entry_handler = syn_recv_entry,
		.handler = syn_recv_ret,
		.data_size = TOA_RI_DATA,
		.maxactive = 64,
	},
	[TOA_PROBE_GETNAME] = {
		.kp.symbol_name = "inet_getname",
		.entry_handler = getname_entry,
		.handler = getname_ret,
		.data_size = TOA_RI_DATA,
		/* getname sleeps in lock_sock(): more calls than CPUs. */
		.maxactive = 256,
	},
	[TOA_PROBE_GETNAME6] = {
		.kp.symbol_name = "inet6_getname",
		.entry_handler = getname_entry,
		.handler = getname_ret,
		.data_size = TOA_RI_DATA,
		.maxactive = 256,
	},
	[TOA_PROBE_SYN_RECV6] = {
		.kp.symbol_name = "tcp_v6_syn_recv_sock",
		.entry_handler = syn_recv6_entry,
		.handler = syn_recv_ret,
		.data_size = TOA_RI_DATA,
		.maxactive = 64,
	},
};
static_assert(TOA_PROBE_DESTRUCT == ARRAY_SIZE(toa_krp));

static struct kprobe toa_kp_destruct = {
	.symbol_name = "sk_destruct",
	.pre_handler = destruct_pre,
};

int toa_probes_register(void)
{
	struct kretprobe *krps[] = { &toa_krp[0], &toa_krp[1], &toa_krp[2], &toa_krp[3] };
	int err;

	/* Records are dropped at socket destruction: that probe goes first. */
	err = register_kprobe(&toa_kp_destruct);
	if (err)
		return err;
	err = register_kretprobes(krps, ARRAY_SIZE(krps));
	if (err)
		unregister_kprobe(&toa_kp_destruct);
	return err;
}

void toa_probes_unregister(void)
{
	struct kretprobe *krps[] = { &toa_krp[0], &toa_krp[1], &toa_krp[2], &toa_krp[3] };

	/* Waits (RCU) for running handlers; pending kretprobe instances of
	 * calls still in progress will not call ours any more. */
	unregister_kretprobes(krps, ARRAY_SIZE(krps));
	unregister_kprobe(&toa_kp_destruct);
}

u64 toa_probe_missed(unsigned int probe)
{
	if (probe == TOA_PROBE_DESTRUCT)
		return toa_kp_destruct.nmissed;
	if (probe < ARRAY_SIZE(toa_krp))
		return (u64)READ_ONCE(toa_krp[probe].nmissed) + toa_krp[probe].kp.nmissed;
	return 0;
}

static int toa_stats_show(struct seq_file *seq, void *v)
{
	char *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	int n;

	if (!buf)
		return -ENOMEM;
	n = toa_rs_stats(buf, PAGE_SIZE);
	if (n > 0)
		seq_write(seq, buf, n);
	kfree(buf);
	return n < 0 ? n : 0;
}

static int __net_init toa_net_init(struct net *net)
{
	if (!proc_create_net_single("toa_stats", 0444, net->proc_net, toa_stats_show, NULL))
		return -ENOMEM;
	return 0;
}

static void __net_exit toa_net_exit(struct net *net)
{
	remove_proc_entry("toa_stats", net->proc_net);
}

static struct pernet_operations toa_net_ops = {
	.init = toa_net_init,
	.exit = toa_net_exit,
};

int toa_proc_register(void) { return register_pernet_subsys(&toa_net_ops); }
void toa_proc_unregister(void) { unregister_pernet_subsys(&toa_net_ops); }

/*
 * getsockopt(IPPROTO_IP or IPPROTO_IPV6, TOA_SO_GET_CLIENT6): see
 * core/src/toa.rs (client6) for the answer. nf_getsockopt calls this in
 * process context, without the socket's lock, with a reference on this
 * module (owner) for the duration. The peer address is read as the
 * socket's family keeps it; Rust compares it with the handshake's source.
 */
static_assert(sizeof(struct sockaddr_in6) == TOA_SOCKADDR_IN6);

static int toa_sockopt_get(struct sock *sk, int optval, void __user *user, int *len)
{
	u8 out[TOA_SOCKADDR_IN6];
	struct in6_addr peer;
	int err;

	/* A connected socket's peer does not change; a socket connecting
	 * meanwhile has no record, whatever is read. */
	if (sk->sk_family == AF_INET6)
		peer = sk->sk_v6_daddr;
	else
		ipv6_addr_set_v4mapped(READ_ONCE(sk->sk_daddr), &peer);
	err = toa_rs_sockopt_client6(sk, *len, peer.s6_addr, READ_ONCE(sk->sk_dport), out);
	if (err)
		return err;
	if (copy_to_user(user, out, sizeof(out)))
		return -EFAULT;
	*len = sizeof(out);
	return 0;
}

static struct nf_sockopt_ops toa_sockopts[2] = {
	{ .pf = PF_INET, .get = toa_sockopt_get, .owner = THIS_MODULE },
	{ .pf = PF_INET6, .get = toa_sockopt_get, .owner = THIS_MODULE },
};

int toa_sockopt_register(int optmin, int optmax)
{
	int err;

	toa_sockopts[0].get_optmin = toa_sockopts[1].get_optmin = optmin;
	toa_sockopts[0].get_optmax = toa_sockopts[1].get_optmax = optmax;
	err = nf_register_sockopt(&toa_sockopts[0]);
	if (err)
		return err;
	err = nf_register_sockopt(&toa_sockopts[1]);
	if (err)
		nf_unregister_sockopt(&toa_sockopts[0]);
	return err;
}

void toa_sockopt_unregister(void)
{
	nf_unregister_sockopt(&toa_sockopts[1]);
	nf_unregister_sockopt(&toa_sockopts[0]);
}
