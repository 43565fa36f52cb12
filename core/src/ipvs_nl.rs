// SPDX-License-Identifier: GPL-2.0
//! Numbering of the generic netlink family "IPVS", version 1.
//!
//! Upstream's numbers (include/uapi/linux/ip_vs.h) so that stock ipvsadm
//! works, plus Alibaba's FULLNAT extensions with Alibaba's numbers. rvs's
//! own additions sit at 100 and above in every attribute space, far from
//! where upstream grows. Both rvs.ko and rvsadm take their numbers from here;
//! rvs.ko's C side uses the kernel's header itself. That the two agree is
//! checked against the kernel's own header twice: by core/tests/uapi.rs on
//! the host, and when rvs.ko is built (src/kern/genl.rs).

/// Family name and version.
pub const FAMILY_NAME: &str = "IPVS";
pub const FAMILY_VERSION: u8 = 1;

/// Commands.
pub mod cmd {
    pub const NEW_SERVICE: u8 = 1;
    pub const SET_SERVICE: u8 = 2;
    pub const DEL_SERVICE: u8 = 3;
    pub const GET_SERVICE: u8 = 4;
    pub const NEW_DEST: u8 = 5;
    pub const SET_DEST: u8 = 6;
    pub const DEL_DEST: u8 = 7;
    pub const GET_DEST: u8 = 8;
    pub const NEW_DAEMON: u8 = 9;
    pub const DEL_DAEMON: u8 = 10;
    pub const GET_DAEMON: u8 = 11;
    pub const SET_CONFIG: u8 = 12;
    pub const GET_CONFIG: u8 = 13;
    pub const SET_INFO: u8 = 14;
    pub const GET_INFO: u8 = 15;
    pub const ZERO: u8 = 16;
    pub const FLUSH: u8 = 17;
    /// Alibaba extension.
    pub const NEW_LADDR: u8 = 18;
    pub const DEL_LADDR: u8 = 19;
    /// Dump of a service's local addresses.
    pub const GET_LADDR: u8 = 20;
    pub const MAX: u8 = 20;
}

/// Top-level attributes (IPVS_CMD_ATTR_*).
pub mod cmd_attr {
    pub const SERVICE: u16 = 1;
    pub const DEST: u16 = 2;
    pub const DAEMON: u16 = 3;
    pub const TIMEOUT_TCP: u16 = 4;
    pub const TIMEOUT_TCP_FIN: u16 = 5;
    pub const TIMEOUT_UDP: u16 = 6;
    /// Alibaba extension (nested LADDR_ATTR).
    pub const LADDR: u16 = 7;
    pub const MAX: u16 = 7;
}

/// Service attributes (IPVS_SVC_ATTR_*).
pub mod svc_attr {
    pub const AF: u16 = 1;
    pub const PROTOCOL: u16 = 2;
    /// 16 bytes (union nf_inet_addr); IPv4 uses the first 4.
    pub const ADDR: u16 = 3;
    /// be16.
    pub const PORT: u16 = 4;
    pub const FWMARK: u16 = 5;
    pub const SCHED_NAME: u16 = 6;
    /// struct { u32 flags; u32 mask; }.
    pub const FLAGS: u16 = 7;
    pub const TIMEOUT: u16 = 8;
    /// be32 netmask.
    pub const NETMASK: u16 = 9;
    pub const STATS: u16 = 10;
    pub const PE_NAME: u16 = 11;
    pub const STATS64: u16 = 12;
    pub const MAX: u16 = 12;
}

/// Destination attributes (IPVS_DEST_ATTR_*).
pub mod dest_attr {
    pub const ADDR: u16 = 1;
    pub const PORT: u16 = 2;
    pub const FWD_METHOD: u16 = 3;
    pub const WEIGHT: u16 = 4;
    pub const U_THRESH: u16 = 5;
    pub const L_THRESH: u16 = 6;
    pub const ACTIVE_CONNS: u16 = 7;
    pub const INACT_CONNS: u16 = 8;
    pub const PERSIST_CONNS: u16 = 9;
    pub const STATS: u16 = 10;
    pub const ADDR_FAMILY: u16 = 11;
    pub const STATS64: u16 = 12;
    pub const TUN_TYPE: u16 = 13;
    pub const TUN_PORT: u16 = 14;
    pub const TUN_FLAGS: u16 = 15;
    pub const MAX: u16 = 15;
}

/// Local address attributes (Alibaba's IPVS_LADDR_ATTR_*).
pub mod laddr_attr {
    /// 16 bytes (union nf_inet_addr).
    pub const ADDR: u16 = 1;
    /// u64: out-tuple collisions met while allocating ports.
    pub const PORT_CONFLICT: u16 = 2;
    /// u32: connections currently using this address.
    pub const CONN_COUNTS: u16 = 3;
    /// u16 AF_*: the address's family, where it may differ from the
    /// service's (rvs's extension, for NAT64: IPv4 local addresses of an
    /// IPv6 service). Without it, the service's family.
    pub const ADDR_FAMILY: u16 = 4;
    pub const MAX: u16 = 4;
}

/// Statistics attributes (IPVS_STATS_ATTR_*): u32 in STATS, u64 in STATS64.
pub mod stats_attr {
    pub const CONNS: u16 = 1;
    pub const INPKTS: u16 = 2;
    pub const OUTPKTS: u16 = 3;
    pub const INBYTES: u16 = 4;
    pub const OUTBYTES: u16 = 5;
    pub const CPS: u16 = 6;
    pub const INPPS: u16 = 7;
    pub const OUTPPS: u16 = 8;
    pub const INBPS: u16 = 9;
    pub const OUTBPS: u16 = 10;
    pub const PAD: u16 = 11;
}

/// Info attributes (IPVS_INFO_ATTR_*).
pub mod info_attr {
    /// u32: (major << 16) | (minor << 8) | patch.
    pub const VERSION: u16 = 1;
    pub const CONN_TAB_SIZE: u16 = 2;
}

/// Daemon attributes (the connection sync daemon).
pub mod daemon_attr {
    pub const STATE: u16 = 1;
    pub const MCAST_IFN: u16 = 2;
    pub const SYNC_ID: u16 = 3;
    pub const SYNC_MAXLEN: u16 = 4;
    pub const MCAST_GROUP: u16 = 5;
    pub const MCAST_GROUP6: u16 = 6;
    pub const MCAST_PORT: u16 = 7;
    pub const MCAST_TTL: u16 = 8;
    pub const MAX: u16 = 8;
}

/// Sync daemon states (`IP_VS_STATE_*`): a bit each, as one namespace
/// may run both.
pub mod daemon_state {
    pub const MASTER: u32 = 1;
    pub const BACKUP: u32 = 2;
}

/// Forwarding methods (dest FWD_METHOD, conn flags & 7).
pub mod fwd {
    pub const MASQ: u32 = 0;
    pub const LOCALNODE: u32 = 1;
    pub const TUNNEL: u32 = 2;
    pub const DROUTE: u32 = 3;
    pub const BYPASS: u32 = 4;
    /// Alibaba and DPVS.
    pub const FULLNAT: u32 = 5;
    pub const MASK: u32 = 7;
}

/// Tunnel types (dest TUN_TYPE, IP_VS_CONN_F_TUNNEL_TYPE_*).
pub mod tun_type {
    pub const IPIP: u8 = 0;
    pub const GUE: u8 = 1;
    pub const GRE: u8 = 2;
}

/// Tunnel flags (dest TUN_FLAGS, IP_VS_TUNNEL_ENCAP_FLAG_*; NOCSUM is 0).
pub mod tun_flags {
    /// A checksum in the encapsulation (GUE's UDP, GRE's own).
    pub const CSUM: u16 = 1 << 0;
    /// GUE's remote checksum offload.
    pub const REMCSUM: u16 = 1 << 1;
}

/// Service flags (SVC_ATTR_FLAGS).
pub mod svc_flags {
    pub const PERSISTENT: u32 = 0x1;
    pub const HASHED: u32 = 0x2;
    pub const ONEPACKET: u32 = 0x4;
    pub const SCHED1: u32 = 0x8;
    pub const SCHED2: u32 = 0x10;
    pub const SCHED3: u32 = 0x20;
    /// Alibaba: answer SYNs with cookies on the director.
    pub const SYNPROXY: u32 = 0x8000;
}

/// Address families and protocols as carried in the attributes.
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
pub const IPPROTO_TCP: u16 = 6;
pub const IPPROTO_UDP: u16 = 17;

/// Upstream's IP_VS_SCHEDNAME_MAXLEN and IP_VS_PENAME_MAXLEN (including NUL).
pub const SCHEDNAME_MAXLEN: usize = 16;
pub const PENAME_MAXLEN: usize = 16;
