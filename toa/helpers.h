/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C side of toa.ko: what Rust cannot reach through bindgen (kprobe
 * registration, pt_regs access, per-CPU data, spinlocks, procfs). Each
 * function is a thin wrapper; option parsing, the per-socket records, the
 * decisions and the counters are Rust (toa_main.rs, through toa/kern.rs).
 */
#ifndef TOA_HELPERS_H
#define TOA_HELPERS_H

#include <linux/types.h>

enum {
	/* Buckets (each with its own lock) of the per-socket record table. */
	TOA_NBUCKETS = 1024,
	/* Per-CPU counter slots. */
	TOA_NR_STATS = 16,
	/* Bytes of per-call data a kretprobe instance keeps for Rust. */
	TOA_RI_DATA = 64,
	/* sizeof(struct sockaddr_in6), checked in helpers.c. */
	TOA_SOCKADDR_IN6 = 28,
};

/* The probes, also the index of their miss counters. */
enum toa_probe {
	TOA_PROBE_SYN_RECV,	/* kretprobe tcp_v4_syn_recv_sock */
	TOA_PROBE_GETNAME,	/* kretprobe inet_getname */
	TOA_PROBE_GETNAME6,	/* kretprobe inet6_getname */
	TOA_PROBE_SYN_RECV6,	/* kretprobe tcp_v6_syn_recv_sock */
	TOA_PROBE_DESTRUCT,	/* kprobe sk_destruct */
	TOA_NR_PROBES,
};

struct sock;

/* Bucket locks; interrupts off while held (probes run in any context). */
void toa_locks_init(void);
const char *toa_param_trusted(void);
unsigned long toa_lock(unsigned int i);
void toa_unlock(unsigned int i, unsigned long flags);

/* Per-CPU u64 counters. */
void toa_stat_inc(unsigned int idx);
u64 toa_stat_sum(unsigned int idx);

/* Registers all probes (or none: returns a negative errno). */
int toa_probes_register(void);
/* Unregisters them; once it returns no handler runs or will run. */
void toa_probes_unregister(void);
/* Times a probe's handler was not run (instances exhausted, recursion). */
u64 toa_probe_missed(unsigned int probe);

/* /proc/net/toa_stats in every network namespace. */
int toa_proc_register(void);
void toa_proc_unregister(void);

/*
 * getsockopt(IPPROTO_IP / IPPROTO_IPV6, optname in [optmin, optmax)) on any
 * socket of either family, through netfilter's sockopt registry (one
 * registration per family, both or neither; negative errno). Unregistering
 * returns at once: a call in progress holds a reference on the module, so
 * none runs once the module's exit has begun.
 */
int toa_sockopt_register(int optmin, int optmax);
void toa_sockopt_unregister(void);

/*
 * Implemented in Rust; `data` is the instance's TOA_RI_DATA bytes. `saddr`
 * is the segment's 16-byte source address (an IPv4 one as ::ffff:a.b.c.d);
 * `v6` tells an IPv6 segment (tcp_v6_syn_recv_sock) from an IPv4 one.
 */
int toa_rs_syn_recv_entry(void *data, const u8 *opts, unsigned int optlen, const u8 *saddr, __be16 sport,
			  bool v6);
void toa_rs_syn_recv_ret(void *data, struct sock *child);
int toa_rs_getname_entry(void *data, struct sock *sk, void *uaddr, int peer);
void toa_rs_getname_ret(void *data, long ret);
void toa_rs_sk_destruct(struct sock *sk);
/*
 * The IPv6 client of socket `sk`, whose peer is now `peer` (16 bytes, an
 * IPv4 one mapped) port `dport`, for a caller's buffer of `len` bytes: 0 with
 * a struct sockaddr_in6 (TOA_SOCKADDR_IN6 bytes) in `out`, or -EINVAL
 * (short buffer) or -ENOENT.
 */
int toa_rs_sockopt_client6(struct sock *sk, int len, const u8 *peer, __be16 dport, u8 *out);
int toa_rs_stats(char *buf, size_t len);

#endif
