// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/ip_vs, /proc/net/ip_vs_stats and /proc/net/ip_vs_conn of
 * rvs.ko in upstream's text formats (ipvsadm -Lnc reads ip_vs_conn), and
 * /proc/net/rvs_stats, the stats parameter's text without its page. The
 * text is written by Rust (src/procfs.rs, through the trampolines in
 * src/kern/proc.rs); this file holds the seq_file plumbing. The files
 * exist in every network namespace, and each shows its reader's
 * namespace: its services, its connections. Also the sysctl tables
 * (net/ipv4/vs, one per namespace), described by src/sysctl.rs.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "helpers.h"

void rvs_seq_write(void *seq, const u8 *buf, size_t len)
{
	seq_write(seq, buf, len);
}

static int rvs_ip_vs_show(struct seq_file *seq, void *v)
{
	return rvs_proc_show(0, seq, seq_file_single_net(seq));
}

static int rvs_ip_vs_stats_show(struct seq_file *seq, void *v)
{
	return rvs_proc_show(1, seq, seq_file_single_net(seq));
}

static int rvs_stats_show(struct seq_file *seq, void *v)
{
	return rvs_proc_show(2, seq, seq_file_single_net(seq));
}

/* Positions: 0 the header, 1..=buckets one connection-table bucket each
 * (as v = pos + 1, since SEQ_START_TOKEN is 1). Under rcu_read_lock from
 * start to stop, as upstream's ip_vs_conn iterator. */
static void *rvs_conn_pos(loff_t pos)
{
	if (pos == 0)
		return SEQ_START_TOKEN;
	return pos <= rvs_conn_buckets() ? (void *)(uintptr_t)(pos + 1) : NULL;
}

static void *rvs_conn_start(struct seq_file *seq, loff_t *pos) __acquires(RCU)
{
	rcu_read_lock();
	return rvs_conn_pos(*pos);
}

static void *rvs_conn_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return rvs_conn_pos(*pos);
}

static void rvs_conn_stop(struct seq_file *seq, void *v) __releases(RCU)
{
	rcu_read_unlock();
}

static int rvs_conn_show(struct seq_file *seq, void *v)
{
	if (v == SEQ_START_TOKEN) {
		seq_puts(seq,
			 "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n");
		return 0;
	}
	rvs_proc_conn_show(seq, seq_file_net(seq), (uintptr_t)v - 2);
	return 0;
}

static const struct seq_operations rvs_conn_seq_ops = {
	.start = rvs_conn_start,
	.next = rvs_conn_next,
	.stop = rvs_conn_stop,
	.show = rvs_conn_show,
};

static int __net_init rvs_proc_net_init(struct net *net)
{
	if (!proc_create_net_single("ip_vs", 0444, net->proc_net, rvs_ip_vs_show, NULL))
		goto err;
	if (!proc_create_net_single("ip_vs_stats", 0444, net->proc_net, rvs_ip_vs_stats_show, NULL))
		goto err_stats;
	if (!proc_create_net("ip_vs_conn", 0444, net->proc_net, &rvs_conn_seq_ops,
			     sizeof(struct seq_net_private)))
		goto err_conn;
	/* rvs's counters and every service's, real server's and local
	 * address's: the namespace's root alone (/proc/net's files belong
	 * to the root of the namespace's user namespace). */
	if (!proc_create_net_single("rvs_stats", 0400, net->proc_net, rvs_stats_show, NULL))
		goto err_rvs_stats;
	return 0;
err_rvs_stats:
	remove_proc_entry("ip_vs_conn", net->proc_net);
err_conn:
	remove_proc_entry("ip_vs_stats", net->proc_net);
err_stats:
	remove_proc_entry("ip_vs", net->proc_net);
err:
	return -ENOMEM;
}

static void __net_exit rvs_proc_net_exit(struct net *net)
{
	/* Each removal waits for readers inside the file. */
	remove_proc_entry("rvs_stats", net->proc_net);
	remove_proc_entry("ip_vs_conn", net->proc_net);
	remove_proc_entry("ip_vs_stats", net->proc_net);
	remove_proc_entry("ip_vs", net->proc_net);
}

static struct pernet_operations rvs_proc_net_ops = {
	.init = rvs_proc_net_init,
	.exit = rvs_proc_net_exit,
};

int rvs_proc_register(void)
{
	return register_pernet_subsys(&rvs_proc_net_ops);
}

void rvs_proc_unregister(void)
{
	unregister_pernet_subsys(&rvs_proc_net_ops);
}

/*
 * Sysctls under net/ipv4/vs/, a table per namespace over that namespace's
 * settings (as upstream's), described by Rust (src/sysctl.rs: name,
 * bounds, get, set); each goes through proc_dointvec_minmax on a
 * temporary int. An entry's data is its namespace, its extra1 and extra2
 * its bounds (extra1 also gives its index).
 *
 * A namespace owned by a user namespace other than the initial one gets
 * the table read-only: its settings are changed, as its services are, by
 * holders of CAP_NET_ADMIN in the initial user namespace only (see
 * src/genl.rs). Upstream makes some of its sysctls read-only there and
 * hides others.
 */
#include <linux/sysctl.h>
#include <linux/user_namespace.h>

#define RVS_MAX_SYSCTLS 48
static struct ctl_table rvs_sysctl_tmpl[RVS_MAX_SYSCTLS];
static int rvs_sysctl_min[RVS_MAX_SYSCTLS], rvs_sysctl_max[RVS_MAX_SYSCTLS];
static unsigned int rvs_nr_sysctls;

struct rvs_sysctl_net {
	struct ctl_table_header *hdr;
	struct ctl_table *tbl;
};
static unsigned int rvs_sysctl_net_id;

static int rvs_sysctl_handler(const struct ctl_table *table, int write, void *buffer,
			      size_t *lenp, loff_t *ppos)
{
	unsigned int idx = (const int *)table->extra1 - rvs_sysctl_min;
	struct net *net = table->data;
	struct ctl_table tmp = *table;
	int val, err;

	if (idx >= rvs_nr_sysctls)
		return -EINVAL;
	err = rvs_sysctl_get(net, idx, &val);
	if (err)
		return err;
	tmp.data = &val;
	tmp.maxlen = sizeof(val);
	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	return rvs_sysctl_set(net, idx, val);
}

/* Text entries (kind 1, or 2 for root only) go through proc_dostring on a
 * temporary buffer; a write longer than the buffer is refused rather than
 * cut. */
#define RVS_SYSCTL_TEXT 1024

static int rvs_sysctl_text_handler(const struct ctl_table *table, int write, void *buffer,
				   size_t *lenp, loff_t *ppos)
{
	unsigned int idx = (const int *)table->extra1 - rvs_sysctl_min;
	struct net *net = table->data;
	struct ctl_table tmp = *table;
	char *text;
	int err;

	if (idx >= rvs_nr_sysctls)
		return -EINVAL;
	if (write && (*ppos || *lenp >= RVS_SYSCTL_TEXT))
		return -EINVAL;
	text = kzalloc(RVS_SYSCTL_TEXT, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	err = write ? 0 : rvs_sysctl_get_text(net, idx, text, RVS_SYSCTL_TEXT);
	if (!err) {
		tmp.data = text;
		tmp.maxlen = RVS_SYSCTL_TEXT;
		err = proc_dostring(&tmp, write, buffer, lenp, ppos);
	}
	if (!err && write)
		err = rvs_sysctl_set_text(net, idx, text, strnlen(text, RVS_SYSCTL_TEXT));
	kfree_sensitive(text);
	return err;
}

static int __net_init rvs_sysctl_net_init(struct net *net)
{
	struct rvs_sysctl_net *sn = net_generic(net, rvs_sysctl_net_id);
	struct ctl_table *tbl;
	unsigned int i;

	tbl = kmemdup(rvs_sysctl_tmpl, sizeof(*tbl) * rvs_nr_sysctls, GFP_KERNEL);
	if (!tbl)
		return -ENOMEM;
	for (i = 0; i < rvs_nr_sysctls; i++) {
		/* The table goes (below) before the namespace does. */
		tbl[i].data = net;
		if (net->user_ns != &init_user_ns)
			tbl[i].mode &= 0444;
	}
	sn->hdr = register_net_sysctl_sz(net, "net/ipv4/vs", tbl, rvs_nr_sysctls);
	if (!sn->hdr) {
		kfree(tbl);
		return -ENOMEM;
	}
	sn->tbl = tbl;
	return 0;
}

static void __net_exit rvs_sysctl_net_exit(struct net *net)
{
	struct rvs_sysctl_net *sn = net_generic(net, rvs_sysctl_net_id);

	/* Waits for handlers in progress. */
	unregister_net_sysctl_table(sn->hdr);
	kfree(sn->tbl);
}

static struct pernet_operations rvs_sysctl_net_ops = {
	.init = rvs_sysctl_net_init,
	.exit = rvs_sysctl_net_exit,
	.id = &rvs_sysctl_net_id,
	.size = sizeof(struct rvs_sysctl_net),
};

int rvs_sysctl_register(void)
{
	unsigned int n;

	for (n = 0; n < RVS_MAX_SYSCTLS; n++) {
		const char *name;

		int kind;

		if (rvs_sysctl_info(n, &name, &rvs_sysctl_min[n], &rvs_sysctl_max[n], &kind))
			break;
		rvs_sysctl_tmpl[n].procname = name;
		rvs_sysctl_tmpl[n].mode = kind == 2 ? 0600 : 0644;
		rvs_sysctl_tmpl[n].proc_handler = kind ? rvs_sysctl_text_handler : rvs_sysctl_handler;
		rvs_sysctl_tmpl[n].extra1 = &rvs_sysctl_min[n];
		rvs_sysctl_tmpl[n].extra2 = &rvs_sysctl_max[n];
	}
	rvs_nr_sysctls = n;
	return register_pernet_subsys(&rvs_sysctl_net_ops);
}

void rvs_sysctl_unregister(void)
{
	/* Runs the exit above in every namespace. */
	unregister_pernet_subsys(&rvs_sysctl_net_ops);
}
