// SPDX-License-Identifier: GPL-2.0
//! Name lookups as ipvsadm does them (hosts, services) and strerror. The only
//! unsafe code of rvsadm: small wrappers over libc, each with its SAFETY note.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

fn proto_name(proto: u16) -> Option<&'static CStr> {
    match proto {
        6 => Some(c"tcp"),
        17 => Some(c"udp"),
        132 => Some(c"sctp"),
        _ => None,
    }
}

/// getservbyname(name, proto) -> port in host order.
pub fn service_to_port(name: &str, proto: u16) -> Option<u16> {
    let p = proto_name(proto)?;
    let n = CString::new(name).ok()?;
    // SAFETY: both arguments are valid NUL-terminated strings; the returned
    // pointer is either NULL or points to libc's static servent, read at once.
    let se = unsafe { libc::getservbyname(n.as_ptr(), p.as_ptr()) };
    if se.is_null() {
        return None;
    }
    // SAFETY: se is non-NULL and points to a valid servent.
    let port = unsafe { (*se).s_port };
    Some(u16::from_be(port as u16))
}

/// getservbyport(port, proto) -> service name.
pub fn port_to_service(port: u16, proto: u16) -> Option<String> {
    let p = proto_name(proto)?;
    // SAFETY: p is a valid C string; the result is NULL or libc's static
    // servent whose s_name is a valid C string, copied out at once.
    unsafe {
        let se = libc::getservbyport(i32::from(port.to_be()), p.as_ptr());
        if se.is_null() || (*se).s_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr((*se).s_name).to_string_lossy().into_owned())
    }
}

/// Reverse lookup (gethostbyaddr in ipvsadm); None when the address has no name.
pub fn addr_to_host(ip: IpAddr) -> Option<String> {
    let sa: SocketAddr = (ip, 0).into();
    let (storage, len) = sockaddr_of(&sa);
    let mut host = [0 as libc::c_char; 1025];
    // SAFETY: storage holds a valid sockaddr of length len; host is a
    // writable buffer of the length passed; no service buffer is requested.
    let rc = unsafe {
        libc::getnameinfo(
            &storage as *const libc::sockaddr_storage as *const libc::sockaddr,
            len,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo succeeded and wrote a NUL-terminated string.
    Some(unsafe { CStr::from_ptr(host.as_ptr()) }.to_string_lossy().into_owned())
}

fn sockaddr_of(sa: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut st: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match sa {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: 0,
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage (both POD).
            unsafe { std::ptr::write(&mut st as *mut _ as *mut libc::sockaddr_in, sin) };
            (st, std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t)
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: 0,
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                sin6_scope_id: 0,
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage (both POD).
            unsafe { std::ptr::write(&mut st as *mut _ as *mut libc::sockaddr_in6, sin6) };
            (st, std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t)
        }
    }
}

/// Forward lookup of an IPv4 host name (ipvsadm's host_to_addr).
pub fn host_to_ipv4(name: &str) -> Option<std::net::Ipv4Addr> {
    (name, 0).to_socket_addrs().ok()?.find_map(|sa| match sa.ip() {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    })
}

/// strerror(errno) without Rust's " (os error N)" suffix.
pub fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a pointer to a valid NUL-terminated string
    // (static or thread-local), copied out at once.
    unsafe { CStr::from_ptr(libc::strerror(errno)) }.to_string_lossy().into_owned()
}
