//! Where a webhook may connect: URLs are checked when registered and again
//! before each attempt (http(s), no user info, no IP literal in the deny
//! lists below), and host names are resolved by our resolver, which drops
//! every answer in them, so DNS cannot point a webhook inside; the client
//! connects only to the answers it kept. The deny lists are IANA's
//! special-purpose registries (what is not globally reachable), the
//! reserved and multicast space, and every form that embeds an IPv4
//! address for a translator or tunnel.

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

/// IPv4 ranges no webhook may reach: every entry of IANA's IPv4
/// Special-Purpose Address Registry that is not globally reachable, with
/// the reserved and multicast space (loopback is handled apart).
const DENIED_V4: [([u8; 4], u8, &str); 14] = [
    ([0, 0, 0, 0], 8, "an unspecified (this network) address"),
    ([10, 0, 0, 0], 8, "a private address"),
    ([100, 64, 0, 0], 10, "a shared (CGNAT) address"),
    ([169, 254, 0, 0], 16, "a link-local address"),
    ([172, 16, 0, 0], 12, "a private address"),
    ([192, 0, 0, 0], 24, "a reserved (IETF protocol) address"),
    ([192, 0, 2, 0], 24, "a documentation (TEST-NET-1) address"),
    ([192, 88, 99, 0], 24, "a reserved (6to4 relay) address"),
    ([192, 168, 0, 0], 16, "a private address"),
    ([198, 18, 0, 0], 15, "a reserved (benchmarking) address"),
    (
        [198, 51, 100, 0],
        24,
        "a documentation (TEST-NET-2) address",
    ),
    ([203, 0, 113, 0], 24, "a documentation (TEST-NET-3) address"),
    ([224, 0, 0, 0], 4, "a multicast address"),
    ([240, 0, 0, 0], 4, "a reserved or broadcast address"),
];

/// IPv6 ranges no webhook may reach: IANA's IPv6 Special-Purpose Address
/// Registry's entries that are not globally reachable, the forms that
/// carry an IPv4 address to a translator or tunnel (IPv4-compatible,
/// SIIT, NAT64, 6to4, Teredo), and the deprecated site-local space.
/// IPv4-mapped addresses are judged by their IPv4 address instead.
const DENIED_V6: [([u16; 8], u8, &str); 15] = [
    ([0, 0, 0, 0, 0, 0, 0, 0], 96, "an IPv4-compatible address"),
    (
        [0, 0, 0, 0, 0xffff, 0, 0, 0],
        96,
        "an IPv4-translated (SIIT) address",
    ),
    ([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "a NAT64 address"),
    (
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "a local NAT64 address",
    ),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "a discard-only address"),
    ([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "a dummy-prefix address"),
    (
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "a reserved (IETF protocol, Teredo) address",
    ),
    (
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        "a documentation address",
    ),
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "a 6to4 address"),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "a documentation address"),
    (
        [0x5f00, 0, 0, 0, 0, 0, 0, 0],
        16,
        "a segment-routing (SRv6) address",
    ),
    (
        [0xfc00, 0, 0, 0, 0, 0, 0, 0],
        7,
        "a private (unique local) address",
    ),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "a link-local address"),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "a site-local address"),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "a multicast address"),
];

fn refused_v4(ip: Ipv4Addr, allow_loopback: bool) -> Option<&'static str> {
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    let bits = u32::from(ip);
    DENIED_V4.iter().find_map(|(net, len, why)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
        (bits & mask == u32::from(Ipv4Addr::from(*net)) & mask).then_some(*why)
    })
}

fn refused_v6(ip: Ipv6Addr, allow_loopback: bool) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refused_v4(v4, allow_loopback);
    }
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    let bits = u128::from(ip);
    DENIED_V6.iter().find_map(|(net, len, why)| {
        let mask = u128::MAX.checked_shl(128 - u32::from(*len)).unwrap_or(0);
        (bits & mask == u128::from(Ipv6Addr::from(*net)) & mask).then_some(*why)
    })
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

    /// The second pass's finds (issue 22, item 9): documentation ranges,
    /// NAT64 (well-known and local), SIIT, site-local, Teredo and the rest
    /// of IANA's registries are refused, each with its reason; the public
    /// neighbours of each range are not.
    #[test]
    fn every_special_purpose_range_is_refused() {
        let refused_for = |s: &str| refused(s.parse().expect("ip"), false);
        for (ip, why) in [
            ("192.0.2.1", "a documentation (TEST-NET-1) address"),
            ("198.51.100.7", "a documentation (TEST-NET-2) address"),
            ("203.0.113.200", "a documentation (TEST-NET-3) address"),
            ("192.88.99.1", "a reserved (6to4 relay) address"),
            ("192.0.0.9", "a reserved (IETF protocol) address"),
            ("198.19.255.255", "a reserved (benchmarking) address"),
            ("255.255.255.255", "a reserved or broadcast address"),
            ("239.1.1.1", "a multicast address"),
            ("64:ff9b::5db8:d822", "a NAT64 address"),
            ("64:ff9b:1::1", "a local NAT64 address"),
            ("::ffff:0:5db8:d822", "an IPv4-translated (SIIT) address"),
            ("::5db8:d822", "an IPv4-compatible address"),
            ("fec0::1", "a site-local address"),
            (
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                "a reserved (IETF protocol, Teredo) address",
            ),
            ("2001:db8::1", "a documentation address"),
            ("3fff::1", "a documentation address"),
            ("2002:5db8:d822::1", "a 6to4 address"),
            ("100::1", "a discard-only address"),
            ("5f00::1", "a segment-routing (SRv6) address"),
            ("::ffff:192.0.2.1", "a documentation (TEST-NET-1) address"),
        ] {
            assert_eq!(refused_for(ip), Some(why), "{ip}");
            let url = if ip.contains(':') {
                format!("http://[{ip}]/")
            } else {
                format!("http://{ip}/")
            };
            assert!(check_url(&url, true).is_err(), "{url}");
        }
        for ip in [
            "192.0.3.1",
            "198.51.101.1",
            "203.0.114.1",
            "93.184.216.34",
            "2606:2800:220:1::1",
            "2001:200::1",
            "::ffff:93.184.216.34",
            "2a00:1450:4001::1",
        ] {
            assert_eq!(refused_for(ip), None, "{ip}");
        }
    }
}
