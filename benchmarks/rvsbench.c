// SPDX-License-Identifier: GPL-2.0
// rvsbench: the traffic generators and sinks of `make bench`.
// Compiled at bench time: gcc -O2 -pthread -o build/rvsbench benchmarks/rvsbench.c
//
//   rvsbench srv ADDR PORT THREADS
//       TCP request/response server: read a request, answer RESP_LEN bytes,
//       wait for the client to close. Runs until killed.
//   rvsbench cps ADDR PORT THREADS SECONDS
//       THREADS loops of connect / send request / read answer / close (RST,
//       SO_LINGER 0, so that no TIME_WAIT piles up anywhere) for SECONDS.
//       Prints "ok N fail N seconds S".
//   rvsbench udpsink ADDR PORT
//       Counts datagrams until SIGTERM/SIGINT; prints "rx N".
//   rvsbench udpflood ADDR PORT SECONDS SIZE THREADS
//       Sends SIZE-byte datagrams as fast as it can; prints "tx N seconds S".
//   rvsbench synflood DADDR DPORT SECONDS COUNT SRCNET NSRC
//       Raw SYNs from SRCNET.1 .. SRCNET.NSRC (a /24 prefix such as
//       203.0.113), source ports 1024.. in turn: every SYN has its own tuple
//       until NSRC*64000 of them. Stops after SECONDS or COUNT SYNs (0: no
//       limit). Prints "tx N seconds S".
//   rvsbench udpspoof DADDR DPORT SECONDS COUNT SRCNET NSRC
//       The same tuples as synflood's, as 18-byte UDP datagrams: a new
//       flow (a director's new UDP connection) per datagram.
// ADDR is IPv4 or IPv6 (text form, no brackets); synflood's and
// udpspoof's are IPv4.
// All limits are fixed: every mode but the two servers stops by itself.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REQ_LEN 64
#define RESP_LEN 128

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A socket address of either family, from its text form. */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	};
	socklen_t len;
};

static struct addr mkaddr(const char *a, int port)
{
	struct addr s;
	memset(&s, 0, sizeof(s));
	if (inet_pton(AF_INET, a, &s.v4.sin_addr) == 1) {
		s.v4.sin_family = AF_INET;
		s.v4.sin_port = htons(port);
		s.len = sizeof(s.v4);
	} else if (inet_pton(AF_INET6, a, &s.v6.sin6_addr) == 1) {
		s.v6.sin6_family = AF_INET6;
		s.v6.sin6_port = htons(port);
		s.len = sizeof(s.v6);
	} else {
		fprintf(stderr, "bad address %s\n", a);
		exit(2);
	}
	return s;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* ---- TCP request/response server ---- */
static int lfd;

static void *srv_thread(void *arg)
{
	char buf[RESP_LEN];
	(void)arg;
	memset(buf, 'r', sizeof(buf));
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		char req[REQ_LEN];
		ssize_t got = 0, n;
		while (got < REQ_LEN && (n = read(fd, req + got, REQ_LEN - got)) > 0)
			got += n;
		if (got == REQ_LEN && write(fd, buf, RESP_LEN) == RESP_LEN) {
			/* wait for the client's close (its RST or FIN) */
			while (read(fd, req, sizeof(req)) > 0)
				;
		}
		close(fd);
	}
	return NULL;
}

static int do_srv(char **av)
{
	struct addr a = mkaddr(av[0], atoi(av[1]));
	int nthr = atoi(av[2]), one = 1;
	lfd = socket(a.sa.sa_family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, &a.sa, a.len) || listen(lfd, 4096))
		die("srv bind/listen");
	for (int i = 1; i < nthr; i++) {
		pthread_t t;
		pthread_create(&t, NULL, srv_thread, NULL);
	}
	srv_thread(NULL);
	return 0;
}

/* ---- connections per second ---- */
static struct addr cps_dst;
static double cps_end;

struct cps_res { long ok, fail; };

static void *cps_thread(void *arg)
{
	struct cps_res *r = arg;
	char req[REQ_LEN], resp[RESP_LEN];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct timeval tv = { .tv_sec = 2 };
	memset(req, 'q', sizeof(req));
	while (now() < cps_end) {
		int fd = socket(cps_dst.sa.sa_family, SOCK_STREAM, 0);
		int ok = 0;
		if (fd < 0) {
			r->fail++;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, &cps_dst.sa, cps_dst.len) == 0 &&
		    write(fd, req, REQ_LEN) == REQ_LEN) {
			ssize_t got = 0, n;
			while (got < RESP_LEN && (n = read(fd, resp + got, RESP_LEN - got)) > 0)
				got += n;
			ok = got == RESP_LEN;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		if (ok)
			r->ok++;
		else
			r->fail++;
	}
	return NULL;
}

static int do_cps(char **av)
{
	int nthr = atoi(av[2]);
	double secs = atof(av[3]), t0 = now();
	pthread_t t[64];
	struct cps_res res[64];
	long ok = 0, fail = 0;
	if (nthr < 1 || nthr > 64)
		nthr = 1;
	cps_dst = mkaddr(av[0], atoi(av[1]));
	cps_end = t0 + secs;
	memset(res, 0, sizeof(res));
	for (int i = 0; i < nthr; i++)
		pthread_create(&t[i], NULL, cps_thread, &res[i]);
	for (int i = 0; i < nthr; i++) {
		pthread_join(t[i], NULL);
		ok += res[i].ok;
		fail += res[i].fail;
	}
	printf("ok %ld fail %ld seconds %.3f\n", ok, fail, now() - t0);
	return 0;
}

/* ---- UDP ---- */
static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static int do_udpsink(char **av)
{
	struct addr a = mkaddr(av[0], atoi(av[1]));
	int fd = socket(a.sa.sa_family, SOCK_DGRAM, 0), sz = 4 << 20;
	struct timeval tv = { .tv_usec = 100000 };
	struct sigaction sa = { .sa_handler = on_sig };
	char buf[2048];
	long rx = 0;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, &a.sa, a.len))
		die("udpsink bind");
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct mmsghdr m[64];
		struct iovec iov[64];
		for (int i = 0; i < 64; i++) {
			iov[i].iov_base = buf;
			iov[i].iov_len = sizeof(buf);
			memset(&m[i].msg_hdr, 0, sizeof(m[i].msg_hdr));
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, m, 64, 0, NULL);
		if (n > 0) {
			rx += n;
			/* answer the first datagram of a burst: proves the way back */
		}
	}
	printf("rx %ld\n", rx);
	return 0;
}

static struct addr udp_dst;
static int udp_size;
static double udp_end;

static void *udp_thread(void *arg)
{
	long *tx = arg;
	char buf[1500];
	int fd = socket(udp_dst.sa.sa_family, SOCK_DGRAM, 0);
	memset(buf, 'u', sizeof(buf));
	if (connect(fd, &udp_dst.sa, udp_dst.len))
		die("udp connect");
	while (now() < udp_end) {
		for (int i = 0; i < 64; i++)
			if (send(fd, buf, udp_size, 0) == udp_size)
				(*tx)++;
	}
	close(fd);
	return NULL;
}

static int do_udpflood(char **av)
{
	double secs = atof(av[2]), t0 = now();
	int nthr = atoi(av[4]);
	pthread_t t[16];
	long tx[16] = { 0 }, sum = 0;
	if (nthr < 1 || nthr > 16)
		nthr = 1;
	udp_dst = mkaddr(av[0], atoi(av[1]));
	udp_size = atoi(av[3]);
	if (udp_size < 1 || udp_size > 1400)
		udp_size = 18;
	udp_end = t0 + secs;
	for (int i = 0; i < nthr; i++)
		pthread_create(&t[i], NULL, udp_thread, &tx[i]);
	for (int i = 0; i < nthr; i++) {
		pthread_join(t[i], NULL);
		sum += tx[i];
	}
	printf("tx %ld seconds %.3f\n", sum, now() - t0);
	return 0;
}

/* ---- raw SYNs ---- */
static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Words are read with memcpy: reading the packet struct through a
 * uint16_t pointer broke strict aliasing, and -O2 summed fields before
 * their stores (the flood's checksums were wrong). */
static uint32_t csum_add(uint32_t s, const void *p, int len)
{
	const uint8_t *b = p;
	uint16_t w;

	for (; len > 1; len -= 2, b += 2) {
		memcpy(&w, b, 2);
		s += w;
	}
	if (len)
		s += *b;
	return s;
}

/* An IPv4 header (no options) of a spoofed packet, checksum included
 * (returned by value: the packets are packed structs). */
static struct iphdr ip4_hdr(uint8_t proto, size_t len, long i, uint32_t saddr, uint32_t daddr)
{
	struct iphdr ip;

	memset(&ip, 0, sizeof(ip));
	ip.version = 4;
	ip.ihl = 5;
	ip.ttl = 64;
	ip.protocol = proto;
	ip.tot_len = htons(len);
	ip.id = htons((uint16_t)i);
	ip.saddr = saddr;
	ip.daddr = daddr;
	ip.check = csum_fold(csum_add(0, &ip, sizeof(ip)));
	return ip;
}

/* The TCP or UDP checksum of the len bytes at l4 between saddr and daddr
 * (before it is written: the field holds 0). */
static uint16_t l4_csum(uint32_t saddr, uint32_t daddr, uint8_t proto, const void *l4, size_t len)
{
	struct { uint32_t s, d; uint8_t z, p; uint16_t l; } ph = { saddr, daddr, 0, proto, htons(len) };

	return csum_fold(csum_add(csum_add(0, &ph, sizeof(ph)), l4, len));
}

/* synflood (udp 0) and udpspoof (udp 1). */
static int do_spoofed(char **av, int udp)
{
	struct addr to = mkaddr(av[0], atoi(av[1]));
	struct sockaddr_in dst = to.v4;
	double secs = atof(av[2]), t0 = now(), end = t0 + secs;
	long count = atol(av[3]), tx = 0;
	int nsrc = atoi(av[5]), one = 1;
	char net[64];
	struct in_addr base;
	snprintf(net, sizeof(net), "%s.0", av[4]);
	if (to.sa.sa_family != AF_INET) {
		fprintf(stderr, "synflood/udpspoof: IPv4 destinations only\n");
		return 2;
	}
	if (inet_pton(AF_INET, net, &base) != 1 || nsrc < 1 || nsrc > 254) {
		fprintf(stderr, "bad source net %s/%d\n", av[4], nsrc);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		die("raw socket");
	setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
		uint8_t opt[4];
	} __attribute__((packed)) pkt;
	struct {
		struct iphdr ip;
		struct udphdr udp;
		uint8_t data[18];
	} __attribute__((packed)) upkt;
	uint32_t seq = 0x12345678;
	for (long i = 0; count == 0 || i < count; i++) {
		if ((i & 255) == 0 && now() >= end)
			break;
		long slot = i % ((long)nsrc * 64000);
		uint32_t saddr = htonl(ntohl(base.s_addr) + 1 + slot / 64000);
		if (udp) {
			memset(&upkt, 0, sizeof(upkt));
			upkt.udp.source = htons(1024 + slot % 64000);
			upkt.udp.dest = dst.sin_port;
			upkt.udp.len = htons(sizeof(upkt.udp) + sizeof(upkt.data));
			memset(upkt.data, 'f', sizeof(upkt.data));
			uint16_t c = l4_csum(saddr, dst.sin_addr.s_addr, IPPROTO_UDP, &upkt.udp, sizeof(upkt.udp) + sizeof(upkt.data));
			upkt.udp.check = c ? c : 0xffff;
			upkt.ip = ip4_hdr(IPPROTO_UDP, sizeof(upkt), i, saddr, dst.sin_addr.s_addr);
			if (sendto(fd, &upkt, sizeof(upkt), 0, (void *)&dst, sizeof(dst)) == sizeof(upkt))
				tx++;
			else if (errno == ENOBUFS)
				usleep(100);
			continue;
		}
		memset(&pkt, 0, sizeof(pkt));
		pkt.tcp.source = htons(1024 + slot % 64000);
		pkt.tcp.dest = dst.sin_port;
		seq = seq * 1103515245u + 12345u;
		pkt.tcp.seq = htonl(seq);
		pkt.tcp.doff = (sizeof(struct tcphdr) + 4) / 4;
		pkt.tcp.syn = 1;
		pkt.tcp.window = htons(29200);
		pkt.opt[0] = 2; /* MSS 1460 */
		pkt.opt[1] = 4;
		pkt.opt[2] = 1460 >> 8;
		pkt.opt[3] = 1460 & 0xff;
		pkt.tcp.check = l4_csum(saddr, dst.sin_addr.s_addr, IPPROTO_TCP, &pkt.tcp, sizeof(pkt.tcp) + sizeof(pkt.opt));
		pkt.ip = ip4_hdr(IPPROTO_TCP, sizeof(pkt), i, saddr, dst.sin_addr.s_addr);
		if (sendto(fd, &pkt, sizeof(pkt), 0, (void *)&dst, sizeof(dst)) == sizeof(pkt))
			tx++;
		else if (errno == ENOBUFS)
			usleep(100);
	}
	printf("tx %ld seconds %.3f\n", tx, now() - t0);
	return 0;
}

int main(int ac, char **av)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ac >= 5 && !strcmp(av[1], "srv"))
		return do_srv(av + 2);
	if (ac >= 6 && !strcmp(av[1], "cps"))
		return do_cps(av + 2);
	if (ac >= 4 && !strcmp(av[1], "udpsink"))
		return do_udpsink(av + 2);
	if (ac >= 7 && !strcmp(av[1], "udpflood"))
		return do_udpflood(av + 2);
	if (ac >= 8 && !strcmp(av[1], "synflood"))
		return do_spoofed(av + 2, 0);
	if (ac >= 8 && !strcmp(av[1], "udpspoof"))
		return do_spoofed(av + 2, 1);
	fprintf(stderr, "usage: see the head of benchmarks/rvsbench.c\n");
	return 2;
}
