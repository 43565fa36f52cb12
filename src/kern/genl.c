// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "IPVS" of rvs.ko: the tables (family, ops,
 * policies) and thin trampolines into Rust (src/kern/genl.rs, then
 * src/genl.rs), which does the
 * semantic work on the attribute bytes (decoded by core/src/ipvs_msg.rs)
 * and hands back encoded reply attributes that the helpers below copy into
 * reply skbs. Numbers: below. Ops flags and policies mirror upstream's
 * net/netfilter/ipvs/ip_vs_ctl.c, but with strict validation (the default
 * for a family with resv_start_op 0): unknown attributes, wrong lengths,
 * trailing bytes and nests without NLA_F_NESTED are refused by the core
 * with its own extack message before rvs sees the request.
 */
#include <linux/module.h>
#include <linux/netlink.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <linux/ip_vs.h>
#include "helpers.h"

/*
 * Numbering: the kernel's own (<linux/ip_vs.h>, the uapi header of the tree
 * rvs.ko is built against) and Alibaba's additions (helpers.h). The Rust
 * side's copy, core/src/ipvs_nl.rs, is checked against both when rvs.ko
 * is built (src/kern/genl.rs) and by a host test against the header.
 */
static_assert(IPVS_CMD_MAX < RVS_IPVS_CMD_NEW_LADDR, "upstream's commands reach Alibaba's numbers");
static_assert(IPVS_CMD_ATTR_MAX < RVS_IPVS_CMD_ATTR_LADDR, "upstream's attributes reach Alibaba's numbers");

/* union nf_inet_addr, as upstream's policies carry it. */
#define RVS_ADDR_LEN 16

static const struct nla_policy rvs_daemon_policy[IPVS_DAEMON_ATTR_MAX + 1] = {
	[IPVS_DAEMON_ATTR_STATE]		= { .type = NLA_U32 },
	[IPVS_DAEMON_ATTR_MCAST_IFN]	= { .type = NLA_NUL_STRING, .len = IP_VS_IFNAME_MAXLEN - 1 },
	[IPVS_DAEMON_ATTR_SYNC_ID]	= { .type = NLA_U32 },
	[IPVS_DAEMON_ATTR_SYNC_MAXLEN]	= { .type = NLA_U16 },
	[IPVS_DAEMON_ATTR_MCAST_GROUP]	= { .type = NLA_U32 },
	[IPVS_DAEMON_ATTR_MCAST_GROUP6]	= { .type = NLA_BINARY, .len = 16 },
	[IPVS_DAEMON_ATTR_MCAST_PORT]	= { .type = NLA_U16 },
	[IPVS_DAEMON_ATTR_MCAST_TTL]	= { .type = NLA_U8 },
};

static const struct nla_policy rvs_svc_policy[IPVS_SVC_ATTR_MAX + 1] = {
	[IPVS_SVC_ATTR_AF]		= { .type = NLA_U16 },
	[IPVS_SVC_ATTR_PROTOCOL]		= { .type = NLA_U16 },
	[IPVS_SVC_ATTR_ADDR]		= { .type = NLA_BINARY, .len = RVS_ADDR_LEN },
	[IPVS_SVC_ATTR_PORT]		= { .type = NLA_U16 },
	[IPVS_SVC_ATTR_FWMARK]		= { .type = NLA_U32 },
	[IPVS_SVC_ATTR_SCHED_NAME]	= { .type = NLA_NUL_STRING, .len = IP_VS_SCHEDNAME_MAXLEN - 1 },
	[IPVS_SVC_ATTR_PE_NAME]		= { .type = NLA_NUL_STRING, .len = IP_VS_PENAME_MAXLEN },
	[IPVS_SVC_ATTR_FLAGS]		= { .type = NLA_BINARY, .len = 8 },
	[IPVS_SVC_ATTR_TIMEOUT]		= { .type = NLA_U32 },
	[IPVS_SVC_ATTR_NETMASK]		= { .type = NLA_U32 },
	[IPVS_SVC_ATTR_STATS]		= { .type = NLA_NESTED },
};

static const struct nla_policy rvs_dest_policy[IPVS_DEST_ATTR_MAX + 1] = {
	[IPVS_DEST_ATTR_ADDR]		= { .type = NLA_BINARY, .len = RVS_ADDR_LEN },
	[IPVS_DEST_ATTR_PORT]		= { .type = NLA_U16 },
	[IPVS_DEST_ATTR_FWD_METHOD]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_WEIGHT]		= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_U_THRESH]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_L_THRESH]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_ACTIVE_CONNS]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_INACT_CONNS]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_PERSIST_CONNS]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_STATS]		= { .type = NLA_NESTED },
	[IPVS_DEST_ATTR_ADDR_FAMILY]	= { .type = NLA_U16 },
	[IPVS_DEST_ATTR_TUN_TYPE]	= { .type = NLA_U8 },
	[IPVS_DEST_ATTR_TUN_PORT]	= { .type = NLA_U16 },
	[IPVS_DEST_ATTR_TUN_FLAGS]	= { .type = NLA_U16 },
};

static const struct nla_policy rvs_laddr_policy[RVS_IPVS_LADDR_ATTR_MAX + 1] = {
	[RVS_IPVS_LADDR_ATTR_ADDR]		= { .type = NLA_BINARY, .len = RVS_ADDR_LEN },
	[RVS_IPVS_LADDR_ATTR_PORT_CONFLICT]	= { .type = NLA_U64 },
	[RVS_IPVS_LADDR_ATTR_CONN_COUNTS]	= { .type = NLA_U32 },
	[RVS_IPVS_LADDR_ATTR_ADDR_FAMILY]	= { .type = NLA_U16 },
};

static const struct nla_policy rvs_cmd_policy[RVS_IPVS_CMD_ATTR_MAX + 1] = {
	[IPVS_CMD_ATTR_SERVICE]		= NLA_POLICY_NESTED(rvs_svc_policy),
	[IPVS_CMD_ATTR_DEST]		= NLA_POLICY_NESTED(rvs_dest_policy),
	[IPVS_CMD_ATTR_DAEMON]		= NLA_POLICY_NESTED(rvs_daemon_policy),
	[IPVS_CMD_ATTR_TIMEOUT_TCP]	= { .type = NLA_U32 },
	[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]	= { .type = NLA_U32 },
	[IPVS_CMD_ATTR_TIMEOUT_UDP]	= { .type = NLA_U32 },
	[RVS_IPVS_CMD_ATTR_LADDR]		= NLA_POLICY_NESTED(rvs_laddr_policy),
};

static int rvs_genl_doit_c(struct sk_buff *skb, struct genl_info *info)
{
	return rvs_genl_doit(info->genlhdr->cmd, genlmsg_data(info->genlhdr),
			     genlmsg_len(info->genlhdr), info, info->extack,
			     genl_info_net(info));
}

static int rvs_genl_dumpit_c(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genlmsghdr *g = nlmsg_data(cb->nlh);

	/* genetlink checked that the request holds its genetlink header. */
	return rvs_genl_dumpit(g->cmd, (const u8 *)g + GENL_HDRLEN,
			       nlmsg_len(cb->nlh) - GENL_HDRLEN, skb, cb,
			       cb->extack, &cb->args[0], sock_net(cb->skb->sk));
}

/* Every command needs CAP_NET_ADMIN, reads included, as upstream. */
#define RVS_OP_DO(c) { .cmd = (c), .flags = GENL_ADMIN_PERM, .doit = rvs_genl_doit_c }
#define RVS_OP_DUMP(c) { .cmd = (c), .flags = GENL_ADMIN_PERM, .dumpit = rvs_genl_dumpit_c }

static const struct genl_small_ops rvs_genl_ops[] = {
	RVS_OP_DO(IPVS_CMD_NEW_SERVICE),
	RVS_OP_DO(IPVS_CMD_SET_SERVICE),
	RVS_OP_DO(IPVS_CMD_DEL_SERVICE),
	{ .cmd = IPVS_CMD_GET_SERVICE, .flags = GENL_ADMIN_PERM,
	  .doit = rvs_genl_doit_c, .dumpit = rvs_genl_dumpit_c },
	RVS_OP_DO(IPVS_CMD_NEW_DEST),
	RVS_OP_DO(IPVS_CMD_SET_DEST),
	RVS_OP_DO(IPVS_CMD_DEL_DEST),
	RVS_OP_DUMP(IPVS_CMD_GET_DEST),
	RVS_OP_DO(IPVS_CMD_NEW_DAEMON),
	RVS_OP_DO(IPVS_CMD_DEL_DAEMON),
	RVS_OP_DUMP(IPVS_CMD_GET_DAEMON),
	RVS_OP_DO(IPVS_CMD_SET_CONFIG),
	RVS_OP_DO(IPVS_CMD_GET_CONFIG),
	RVS_OP_DO(IPVS_CMD_GET_INFO),
	RVS_OP_DO(IPVS_CMD_ZERO),
	RVS_OP_DO(IPVS_CMD_FLUSH),
	RVS_OP_DO(RVS_IPVS_CMD_NEW_LADDR),
	RVS_OP_DO(RVS_IPVS_CMD_DEL_LADDR),
	RVS_OP_DUMP(RVS_IPVS_CMD_GET_LADDR),
};

static struct genl_family rvs_genl_family = {
	.hdrsize	= 0,
	.name		= "IPVS",
	.version	= 1,
	.maxattr	= RVS_IPVS_CMD_ATTR_MAX,
	.policy		= rvs_cmd_policy,
	/* Every namespace reaches the family and sees its own services. */
	.netnsok	= true,
	.module		= THIS_MODULE,
	.small_ops	= rvs_genl_ops,
	.n_small_ops	= ARRAY_SIZE(rvs_genl_ops),
	/* 0: every op gets strict validation and genlmsghdr.reserved == 0. */
	.resv_start_op	= 0,
};

/*
 * ip_vs cannot live beside rvs: it would create /proc/net/ip_vs (a WARN,
 * "already registered") before failing on the family. So while rvs holds
 * the family, ip_vs is refused before its init runs.
 */
static int rvs_module_notify(struct notifier_block *nb, unsigned long state, void *data)
{
	struct module *mod = data;

	if (state == MODULE_STATE_COMING && !strcmp(mod->name, "ip_vs")) {
		pr_err("rvs: ip_vs cannot load while rvs holds the \"IPVS\" family and /proc/net/ip_vs; unload rvs first\n");
		return notifier_from_errno(-EBUSY);
	}
	return NOTIFY_DONE;
}

static struct notifier_block rvs_module_nb = { .notifier_call = rvs_module_notify };

int rvs_genl_register(void)
{
	int err = genl_register_family(&rvs_genl_family);

	if (err)
		return err;
	err = register_module_notifier(&rvs_module_nb);
	if (err)
		genl_unregister_family(&rvs_genl_family);
	return err;
}

void rvs_genl_unregister(void)
{
	unregister_module_notifier(&rvs_module_nb);
	genl_unregister_family(&rvs_genl_family);
}

void rvs_genl_set_err(void *extack, const char *msg)
{
	struct netlink_ext_ack *e = extack;

	/* What NL_SET_ERR_MSG does with a literal; msg is static (Rust c""
	 * literals), as the extack keeps the pointer. */
	if (e)
		e->_msg = msg;
}

int rvs_genl_reply(void *info_, u8 cmd, const u8 *buf, size_t len)
{
	struct genl_info *info = info_;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(len, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &rvs_genl_family, 0, cmd);
	if (!hdr || skb_tailroom(msg) < len) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	skb_put_data(msg, buf, len);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int rvs_genl_dump_put(struct sk_buff *skb, void *cb_, u8 cmd, const u8 *buf, size_t len)
{
	struct netlink_callback *cb = cb_;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &rvs_genl_family, NLM_F_MULTI, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (skb_tailroom(skb) < len) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	skb_put_data(skb, buf, len);
	genlmsg_end(skb, hdr);
	return 0;
}
