//! Where a webhook may connect: URLs are checked when registered and again
//! before each attempt (http(s), no user info, no loopback, private,
//! link-local or otherwise internal IP literal), and host names are resolved
//! by our resolver, which drops internal answers, so DNS cannot point a
//! webhook inside.

use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The longest URL accepted.
pub(crate) const MAX_URL: usize = 2048;

/// Checks a webhook URL; the reason it is refused otherwise.
pub(crate) fn check_url(raw: &str, allow_loopback: bool) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL {
        return Err(format!("the url is longer than {MAX_URL} characters"));
    }
    let url = Url::parse(raw).map_err(|e| format!("the url is not valid: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the url must be http or https".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the url must not carry user info".into());
    }
    match url.host() {
        None => Err("the url has no host".into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if (d == "localhost" || d.ends_with(".localhost")) && !allow_loopback {
                return Err("the url must not point at this machine (localhost)".into());
            }
            Ok(url)
        }
        Some(url::Host::Ipv4(ip)) => match refused(IpAddr::V4(ip), allow_loopback) {
            Some(why) => Err(format!("the url must not point at {why}")),
            None => Ok(url),
        },
        Some(url::Host::Ipv6(ip)) => match refused(IpAddr::V6(ip), allow_loopback) {
            Some(why) => Err(format!("the url must not point at {why}")),
            None => Ok(url),
        },
    }
}

/// Why a webhook may not connect to `ip`, if it may not.
pub(crate) fn refused(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4, allow_loopback),
        IpAddr::V6(v6) => refused_v6(v6, allow_loopback),
    }
}

fn refused_v4(ip: Ipv4Addr, allow_loopback: bool) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("a shared (CGNAT) address")
    } else if o[0] == 0 {
        Some("an unspecified address")
    } else if ip.is_multicast() || o[0] >= 240 {
        Some("a multicast, broadcast or reserved address")
    } else if (o[0], o[1], o[2]) == (192, 0, 0) || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        Some("a reserved address")
    } else {
        None
    }
}

fn refused_v6(ip: Ipv6Addr, allow_loopback: bool) -> Option<&'static str> {
    let s = ip.segments();
    // Addresses that embed an IPv4 address are judged by it: mapped
    // (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16).
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refused_v4(v4, allow_loopback);
    }
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return refused_v4(embedded(s[6], s[7]), false);
    }
    if s[0] == 0x2002 {
        return refused_v4(embedded(s[1], s[2]), false);
    }
    if s[0] & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if s[0] & 0xff00 == 0xff00 {
        Some("a multicast address")
    } else {
        None
    }
}

/// Resolves host names for deliveries, dropping every answer a webhook may
/// not connect to (DNS cannot point a webhook at an internal address).
#[derive(Debug)]
pub(crate) struct Guarded {
    pub(crate) allow_loopback: bool,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> = all
                .into_iter()
                .filter(|a| refused(a.ip(), allow).is_none())
                .collect();
            if ok.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        for bad in [
            "ftp://example.com/hook",
            "not a url",
            "https://user:pw@example.com/hook",
            "https://user@example.com/hook",
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://a.localhost/hook",
            "http://0x7f.1/hook",
            "http://2130706433/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:101::1]/",
            "http://[::]/",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad} is refused");
        }
        for good in [
            "https://example.com/hook",
            "http://hooks.example.com:8080/a?b=c",
            "https://93.184.216.34/hook",
            "https://[2606:2800:220:1::1]/",
        ] {
            assert!(check_url(good, false).is_ok(), "{good} is accepted");
        }
        // Loopback only when allowed; private ranges never.
        assert!(check_url("http://127.0.0.1:9/hook", true).is_ok());
        assert!(check_url("http://[::1]:9/", true).is_ok());
        assert!(check_url("http://localhost:9/", true).is_ok());
        assert!(check_url("http://10.0.0.1/", true).is_err());
        assert!(check_url(&format!("https://e.com/{}", "a".repeat(MAX_URL)), false).is_err());
    }
}
