//! `ipvs_nl`'s numbering against the kernel's own uapi header,
//! `include/uapi/linux/ip_vs.h`: every number upstream defines must be
//! upstream's, and Alibaba's additions must lie beyond upstream's ranges.
//! The header read is `$RVS_UAPI_IP_VS` (tests/run points it at the
//! prepared kernel tree's) or else the system's `/usr/include/linux/ip_vs.h`
//! (Debian's linux-libc-dev). rvs.ko's build checks the same with the
//! header of the tree it is built against (src/kern/genl.rs).

use rvs_core::ipvs_nl::*;
use std::collections::HashMap;

fn header() -> (String, String) {
    let path = std::env::var("RVS_UAPI_IP_VS").unwrap_or_else(|_| "/usr/include/linux/ip_vs.h".into());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (set RVS_UAPI_IP_VS to a kernel tree's include/uapi/linux/ip_vs.h)"));
    (path, text)
}

fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    out.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// A number, a known name, or `A - 1` / `A + 1` / `A | B` of those.
fn eval(expr: &str, known: &HashMap<String, i64>) -> Option<i64> {
    let e = expr.replace(['(', ')'], " ");
    let t: Vec<&str> = e.split_whitespace().collect();
    let atom = |a: &str| -> Option<i64> {
        if let Some(h) = a.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else if a.chars().all(|c| c.is_ascii_digit()) {
            a.parse().ok()
        } else {
            known.get(a).copied()
        }
    };
    match t.as_slice() {
        [a] => atom(a),
        [a, "-", b] => Some(atom(a)? - atom(b)?),
        [a, "+", b] => Some(atom(a)? + atom(b)?),
        [a, "|", b] => Some(atom(a)? | atom(b)?),
        _ => None,
    }
}

/// The header's enum members and numeric #defines.
fn values(text: &str) -> HashMap<String, i64> {
    let text = strip_comments(text);
    let mut known = HashMap::new();
    let mut rest = text.as_str();
    // Enums first (the #defines refer to their members).
    while let Some(i) = rest.find("enum {") {
        let body = &rest[i + 6..];
        let end = body.find('}').expect("enum without its end");
        let mut next = 0i64;
        for item in body[..end].split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let (name, v) = match item.split_once('=') {
                Some((n, e)) => (n.trim(), eval(e, &known).unwrap_or_else(|| panic!("enum value {e}"))),
                None => (item, next),
            };
            known.insert(name.to_string(), v);
            next = v + 1;
        }
        rest = &body[end..];
    }
    for line in text.lines() {
        let mut w = line.split_whitespace();
        if w.next() == Some("#define") {
            if let (Some(name), e) = (w.next(), w.collect::<Vec<_>>().join(" ")) {
                if let Some(v) = eval(&e, &known) {
                    known.insert(name.to_string(), v);
                }
            }
        }
    }
    known
}

macro_rules! pairs {
    ($($ours:expr => $name:literal),* $(,)?) => {
        vec![$((stringify!($ours), $ours as i64, $name)),*]
    };
}

#[test]
fn numbering_is_the_kernels() {
    let (path, text) = header();
    let k = values(&text);
    let ours = pairs! {
        cmd::NEW_SERVICE => "IPVS_CMD_NEW_SERVICE", cmd::SET_SERVICE => "IPVS_CMD_SET_SERVICE",
        cmd::DEL_SERVICE => "IPVS_CMD_DEL_SERVICE", cmd::GET_SERVICE => "IPVS_CMD_GET_SERVICE",
        cmd::NEW_DEST => "IPVS_CMD_NEW_DEST", cmd::SET_DEST => "IPVS_CMD_SET_DEST",
        cmd::DEL_DEST => "IPVS_CMD_DEL_DEST", cmd::GET_DEST => "IPVS_CMD_GET_DEST",
        cmd::NEW_DAEMON => "IPVS_CMD_NEW_DAEMON", cmd::DEL_DAEMON => "IPVS_CMD_DEL_DAEMON",
        cmd::GET_DAEMON => "IPVS_CMD_GET_DAEMON", cmd::SET_CONFIG => "IPVS_CMD_SET_CONFIG",
        cmd::GET_CONFIG => "IPVS_CMD_GET_CONFIG", cmd::SET_INFO => "IPVS_CMD_SET_INFO",
        cmd::GET_INFO => "IPVS_CMD_GET_INFO", cmd::ZERO => "IPVS_CMD_ZERO", cmd::FLUSH => "IPVS_CMD_FLUSH",
        cmd_attr::SERVICE => "IPVS_CMD_ATTR_SERVICE", cmd_attr::DEST => "IPVS_CMD_ATTR_DEST",
        cmd_attr::DAEMON => "IPVS_CMD_ATTR_DAEMON", cmd_attr::TIMEOUT_TCP => "IPVS_CMD_ATTR_TIMEOUT_TCP",
        cmd_attr::TIMEOUT_TCP_FIN => "IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", cmd_attr::TIMEOUT_UDP => "IPVS_CMD_ATTR_TIMEOUT_UDP",
        svc_attr::AF => "IPVS_SVC_ATTR_AF", svc_attr::PROTOCOL => "IPVS_SVC_ATTR_PROTOCOL",
        svc_attr::ADDR => "IPVS_SVC_ATTR_ADDR", svc_attr::PORT => "IPVS_SVC_ATTR_PORT",
        svc_attr::FWMARK => "IPVS_SVC_ATTR_FWMARK", svc_attr::SCHED_NAME => "IPVS_SVC_ATTR_SCHED_NAME",
        svc_attr::FLAGS => "IPVS_SVC_ATTR_FLAGS", svc_attr::TIMEOUT => "IPVS_SVC_ATTR_TIMEOUT",
        svc_attr::NETMASK => "IPVS_SVC_ATTR_NETMASK", svc_attr::STATS => "IPVS_SVC_ATTR_STATS",
        svc_attr::PE_NAME => "IPVS_SVC_ATTR_PE_NAME", svc_attr::STATS64 => "IPVS_SVC_ATTR_STATS64",
        svc_attr::MAX => "IPVS_SVC_ATTR_MAX",
        dest_attr::ADDR => "IPVS_DEST_ATTR_ADDR", dest_attr::PORT => "IPVS_DEST_ATTR_PORT",
        dest_attr::FWD_METHOD => "IPVS_DEST_ATTR_FWD_METHOD", dest_attr::WEIGHT => "IPVS_DEST_ATTR_WEIGHT",
        dest_attr::U_THRESH => "IPVS_DEST_ATTR_U_THRESH", dest_attr::L_THRESH => "IPVS_DEST_ATTR_L_THRESH",
        dest_attr::ACTIVE_CONNS => "IPVS_DEST_ATTR_ACTIVE_CONNS", dest_attr::INACT_CONNS => "IPVS_DEST_ATTR_INACT_CONNS",
        dest_attr::PERSIST_CONNS => "IPVS_DEST_ATTR_PERSIST_CONNS", dest_attr::STATS => "IPVS_DEST_ATTR_STATS",
        dest_attr::ADDR_FAMILY => "IPVS_DEST_ATTR_ADDR_FAMILY", dest_attr::STATS64 => "IPVS_DEST_ATTR_STATS64",
        dest_attr::TUN_TYPE => "IPVS_DEST_ATTR_TUN_TYPE", dest_attr::TUN_PORT => "IPVS_DEST_ATTR_TUN_PORT",
        dest_attr::TUN_FLAGS => "IPVS_DEST_ATTR_TUN_FLAGS", dest_attr::MAX => "IPVS_DEST_ATTR_MAX",
        stats_attr::CONNS => "IPVS_STATS_ATTR_CONNS", stats_attr::INPKTS => "IPVS_STATS_ATTR_INPKTS",
        stats_attr::OUTPKTS => "IPVS_STATS_ATTR_OUTPKTS", stats_attr::INBYTES => "IPVS_STATS_ATTR_INBYTES",
        stats_attr::OUTBYTES => "IPVS_STATS_ATTR_OUTBYTES", stats_attr::CPS => "IPVS_STATS_ATTR_CPS",
        stats_attr::INPPS => "IPVS_STATS_ATTR_INPPS", stats_attr::OUTPPS => "IPVS_STATS_ATTR_OUTPPS",
        stats_attr::INBPS => "IPVS_STATS_ATTR_INBPS", stats_attr::OUTBPS => "IPVS_STATS_ATTR_OUTBPS",
        stats_attr::PAD => "IPVS_STATS_ATTR_PAD",
        info_attr::VERSION => "IPVS_INFO_ATTR_VERSION", info_attr::CONN_TAB_SIZE => "IPVS_INFO_ATTR_CONN_TAB_SIZE",
        daemon_attr::STATE => "IPVS_DAEMON_ATTR_STATE", daemon_attr::MCAST_IFN => "IPVS_DAEMON_ATTR_MCAST_IFN",
        daemon_attr::SYNC_ID => "IPVS_DAEMON_ATTR_SYNC_ID",
        fwd::MASQ => "IP_VS_CONN_F_MASQ", fwd::LOCALNODE => "IP_VS_CONN_F_LOCALNODE",
        fwd::TUNNEL => "IP_VS_CONN_F_TUNNEL", fwd::DROUTE => "IP_VS_CONN_F_DROUTE",
        fwd::BYPASS => "IP_VS_CONN_F_BYPASS", fwd::MASK => "IP_VS_CONN_F_FWD_MASK",
        svc_flags::PERSISTENT => "IP_VS_SVC_F_PERSISTENT", svc_flags::HASHED => "IP_VS_SVC_F_HASHED",
        svc_flags::ONEPACKET => "IP_VS_SVC_F_ONEPACKET", svc_flags::SCHED1 => "IP_VS_SVC_F_SCHED1",
        svc_flags::SCHED2 => "IP_VS_SVC_F_SCHED2", svc_flags::SCHED3 => "IP_VS_SVC_F_SCHED3",
        SCHEDNAME_MAXLEN => "IP_VS_SCHEDNAME_MAXLEN", PENAME_MAXLEN => "IP_VS_PENAME_MAXLEN",
        FAMILY_VERSION => "IPVS_GENL_VERSION",
    };
    let mut wrong = Vec::new();
    for (what, v, name) in &ours {
        match k.get(*name) {
            Some(kv) if kv == v => {}
            Some(kv) => wrong.push(format!("{what} = {v}, {name} = {kv}")),
            None => wrong.push(format!("{what}: {name} is not in the header")),
        }
    }
    // Alibaba's additions, beyond what upstream numbers.
    for (what, v, max) in [
        ("cmd::NEW_LADDR", cmd::NEW_LADDR as i64, "IPVS_CMD_MAX"),
        ("cmd_attr::LADDR", cmd_attr::LADDR as i64, "IPVS_CMD_ATTR_MAX"),
    ] {
        if k.get(max).is_none_or(|m| *m >= v) {
            wrong.push(format!("{what} = {v} is not beyond {max} ({:?})", k.get(max)));
        }
    }
    if !text.lines().any(|l| l.starts_with("#define IPVS_GENL_NAME") && l.contains(&format!("\"{FAMILY_NAME}\""))) {
        wrong.push(format!("family name {FAMILY_NAME:?} not in the header"));
    }
    assert!(wrong.is_empty(), "core/src/ipvs_nl.rs and {path} disagree:\n{}", wrong.join("\n"));
}

#[test]
fn parser_reads_enums_and_defines() {
    let k = values("enum {\n A_UNSPEC = 0, /* c */\n A_ONE,\n A_TWO, // d\n __A_MAX,\n};\n#define A_MAX (__A_MAX - 1)\n#define B 0x10\n");
    assert_eq!(k.get("A_ONE"), Some(&1));
    assert_eq!(k.get("A_TWO"), Some(&2));
    assert_eq!(k.get("A_MAX"), Some(&2));
    assert_eq!(k.get("B"), Some(&16));
}
