//! Network allowlists: which URLs a mini program's network APIs may reach.
//!
//! Rules: https only (wss for sockets); no user info; no IP literals in any
//! notation; no localhost; the host must match an exact entry or an explicit
//! `*.` wildcard of the app's list for that API kind; an empty list denies.
//! A wildcard sits below a registrable domain, never at or above a public
//! suffix (`*.co.uk`, `*.nip.io`; the public suffix list, compiled in).
//! Names are compared after WHATWG URL parsing (lowercase, IDNA to ASCII, no
//! trailing dot), so what is checked is exactly what a client would connect to.
//! Resolved addresses and every redirect are checked again by the host.

use crate::error::Denied;
use std::collections::BTreeMap;
use std::net::IpAddr;
use url::{Host, Url};

/// One allowlist entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DomainPattern {
    /// Exactly this host.
    Exact(String),
    /// Any host with one or more labels before this suffix (`*.example.com`);
    /// not the suffix itself.
    Subdomains(String),
}

impl DomainPattern {
    /// Parses `api.example.com` or `*.cdn.example.com` (an `https://` prefix is tolerated).
    pub fn parse(entry: &str) -> Result<DomainPattern, Denied> {
        let bad = |reason| Denied::BadPattern {
            entry: entry.to_owned(),
            reason,
        };
        let trimmed = entry.trim();
        let body = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("wss://"))
            .unwrap_or(trimmed);
        let (wild, host) = match body.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, body),
        };
        if host.is_empty() || host.contains(['/', '@', ':', '*', '?', '#', ' ']) {
            return Err(bad(
                "expected a host name such as api.example.com or *.example.com",
            ));
        }
        // Normalise through the same parser requests go through.
        let url =
            Url::parse(&format!("https://{host}/")).map_err(|_| bad("not a valid host name"))?;
        let name = match url.host() {
            Some(Host::Domain(d)) => d.trim_end_matches('.').to_owned(),
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => {
                return Err(bad("IP addresses cannot be allowed"))
            }
            None => return Err(bad("not a valid host name")),
        };
        if is_localhost(&name) {
            return Err(bad("localhost cannot be allowed"));
        }
        if name.split('.').any(str::is_empty) {
            return Err(bad(
                "a host name has no empty labels (no leading dot, no `..`)",
            ));
        }
        if !name.contains('.') {
            return Err(bad("a host needs at least two labels"));
        }
        // `*.co.uk` or `*.github.io` would allow every site under a public
        // suffix: a wildcard must sit below a registrable domain.
        if wild && psl::domain(name.as_bytes()).is_none() {
            return Err(bad(
                "a wildcard must be below a registrable domain: this one covers a public suffix",
            ));
        }
        let registrable = psl::domain_str(&name).unwrap_or(&name);
        if ANY_ADDRESS_DNS.contains(&registrable) {
            return Err(bad(
                "a wildcard DNS service (nip.io and the like) resolves names to any address",
            ));
        }
        Ok(if wild {
            DomainPattern::Subdomains(name)
        } else {
            DomainPattern::Exact(name)
        })
    }

    /// Whether `host` (already normalised) matches.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            DomainPattern::Exact(h) => host == h,
            DomainPattern::Subdomains(suffix) => host
                .strip_suffix(suffix.as_str())
                .and_then(|head| head.strip_suffix('.'))
                .is_some_and(|head| !head.is_empty()),
        }
    }
}

/// Services whose names resolve to whatever address they spell
/// (`10.0.0.1.nip.io`): allowing one allows any address.
const ANY_ADDRESS_DNS: &[&str] = &[
    "nip.io",
    "sslip.io",
    "xip.io",
    "traefik.me",
    "localtest.me",
    "lvh.me",
    "vcap.me",
    "lacolhost.com",
];

fn is_localhost(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

/// The network API kinds with their own lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetKind {
    /// `my.request`.
    Request,
    /// `my.connectSocket`.
    Socket,
    /// `my.downloadFile`.
    DownloadFile,
    /// `my.uploadFile`.
    UploadFile,
}

impl NetKind {
    /// The name used in manifests (`request`, `socket`, `downloadFile`, `uploadFile`).
    pub fn name(self) -> &'static str {
        match self {
            NetKind::Request => "request",
            NetKind::Socket => "socket",
            NetKind::DownloadFile => "downloadFile",
            NetKind::UploadFile => "uploadFile",
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            NetKind::Socket => "wss",
            _ => "https",
        }
    }
}

/// A loopback origin the embedding app allows for local development (never
/// from a bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevOrigin {
    /// `http`, `https`, `ws` or `wss`.
    pub scheme: String,
    /// A loopback address.
    pub ip: IpAddr,
    /// The port.
    pub port: u16,
}

/// One mini program's network policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetPolicy {
    lists: BTreeMap<NetKind, Vec<DomainPattern>>,
    dev: Vec<DevOrigin>,
    /// Development only: every public host passes the lists.
    any_host: bool,
}

/// A URL that passed the policy, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedUrl {
    /// The URL to fetch.
    pub url: Url,
    /// Whether it is a dev loopback origin (its address check is skipped).
    pub dev: bool,
}

impl NetPolicy {
    /// A policy from the manifest's approved domain lists (kind name → entries).
    /// A malformed entry is an error: a list is never half-applied.
    pub fn from_lists(lists: &BTreeMap<String, Vec<String>>) -> Result<NetPolicy, Denied> {
        let mut p = NetPolicy::default();
        for (kind, entries) in lists {
            let kind = match kind.as_str() {
                "request" => NetKind::Request,
                "socket" => NetKind::Socket,
                "downloadFile" => NetKind::DownloadFile,
                "uploadFile" => NetKind::UploadFile,
                _ => continue,
            };
            let parsed = entries
                .iter()
                .map(|e| DomainPattern::parse(e))
                .collect::<Result<Vec<_>, _>>()?;
            p.lists.insert(kind, parsed);
        }
        Ok(p)
    }

    /// Adds loopback origins for local development. Set by the embedding app only.
    pub fn with_dev_origins(mut self, origins: Vec<DevOrigin>) -> NetPolicy {
        self.dev = origins.into_iter().filter(|o| o.ip.is_loopback()).collect();
        self
    }

    /// Development only (a folder run by its developer, as Alipay's IDE can
    /// skip the domain check): every host name passes the lists. Everything
    /// else still holds: the API's scheme, no user info, no IP literals, no
    /// localhost, and the host still checks every address a name resolves to.
    pub fn with_any_public_host(mut self) -> NetPolicy {
        self.any_host = true;
        self
    }

    /// Checks a URL for an API kind.
    pub fn check_url(&self, kind: NetKind, raw: &str) -> Result<AllowedUrl, Denied> {
        let url = Url::parse(raw.trim()).map_err(|_| Denied::BadUrl(raw.to_owned()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Denied::UserInfo);
        }
        // Dev origins match exactly: scheme, loopback address and port.
        if let Some(Host::Ipv4(_) | Host::Ipv6(_)) = url.host() {
            let ip: Option<IpAddr> = match url.host() {
                Some(Host::Ipv4(v4)) => Some(v4.into()),
                Some(Host::Ipv6(v6)) => Some(v6.into()),
                _ => None,
            };
            let port = url.port_or_known_default();
            if let Some(ip) = ip {
                if self
                    .dev
                    .iter()
                    .any(|d| d.ip == ip && Some(d.port) == port && d.scheme == url.scheme())
                {
                    return Ok(AllowedUrl { url, dev: true });
                }
                return Err(Denied::IpLiteral(ip.to_string()));
            }
        }
        if url.scheme() != kind.scheme() {
            return Err(Denied::Scheme {
                scheme: url.scheme().to_owned(),
                want: kind.scheme(),
            });
        }
        let host = match url.host() {
            Some(Host::Domain(d)) => d.trim_end_matches('.').to_owned(),
            _ => return Err(Denied::BadUrl(raw.to_owned())),
        };
        if is_localhost(&host) {
            return Err(Denied::Localhost);
        }
        let allowed = self.any_host
            || self
                .lists
                .get(&kind)
                .is_some_and(|list| list.iter().any(|p| p.matches(&host)));
        if !allowed {
            return Err(Denied::NotAllowed {
                host,
                kind: kind.name().to_owned(),
            });
        }
        Ok(AllowedUrl { url, dev: false })
    }

    /// Checks a redirect target: the same rules as the first URL, so a redirect
    /// can never lead off the list or down to http.
    pub fn check_redirect(&self, kind: NetKind, location: &str) -> Result<AllowedUrl, Denied> {
        self.check_url(kind, location)
    }
}

/// Checks an address a name resolved to. Private, loopback, link-local,
/// shared (CGNAT), documentation, multicast and unspecified addresses are
/// refused, including IPv4 addresses mapped into IPv6.
pub fn check_address(ip: IpAddr) -> Result<(), Denied> {
    let internal = match ip {
        IpAddr::V4(v4) => v4_internal(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_internal(v4),
            None => {
                let s = v6.segments();
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (s[0] & 0xfe00) == 0xfc00 // unique local
                    || (s[0] & 0xffc0) == 0xfe80 // link local
                    || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                    || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 of anything
            }
        },
    };
    if internal {
        Err(Denied::InternalAddress(ip))
    } else {
        Ok(())
    }
}

fn v4_internal(v4: std::net::Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 shared
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking
        || o[0] >= 240
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_development_policy_still_refuses_what_is_never_allowed() {
        let open = NetPolicy::default().with_any_public_host();
        for url in [
            "https://api.anything.example/x",
            "https://cdn.other.example",
        ] {
            assert!(open.check_url(NetKind::Request, url).is_ok(), "{url}");
        }
        assert!(NetPolicy::default()
            .check_url(NetKind::Request, "https://api.anything.example/x")
            .is_err());
        for (url, want) in [
            ("http://api.anything.example/", "scheme"),
            ("https://127.0.0.1/", "IP"),
            ("https://[::1]/", "IP"),
            ("https://localhost/", "localhost"),
            ("https://user:pw@api.anything.example/", "user"),
        ] {
            let e = open.check_url(NetKind::Request, url).expect_err(url);
            assert!(
                format!("{e:?} {e}")
                    .to_lowercase()
                    .contains(&want.to_lowercase()),
                "{url}: {e:?}"
            );
        }
    }

    fn policy() -> NetPolicy {
        let lists = BTreeMap::from([
            (
                "request".to_string(),
                vec![
                    "api.coffee.example".to_string(),
                    "*.cdn.coffee.example".to_string(),
                ],
            ),
            (
                "socket".to_string(),
                vec!["push.coffee.example".to_string()],
            ),
            ("uploadFile".to_string(), vec![]),
        ]);
        NetPolicy::from_lists(&lists).expect("policy")
    }

    fn check(kind: NetKind, url: &str, expected: Result<(), Denied>) {
        let got = policy().check_url(kind, url).map(|_| ());
        assert_eq!(got, expected, "{url}");
    }

    fn not_allowed(host: &str, kind: &str) -> Result<(), Denied> {
        Err(Denied::NotAllowed {
            host: host.into(),
            kind: kind.into(),
        })
    }

    #[test]
    fn allows_listed_hosts_only() {
        use NetKind::*;
        check(Request, "https://api.coffee.example/menu?x=1", Ok(()));
        check(Request, "https://API.Coffee.Example./menu", Ok(()));
        check(Request, "https://img.cdn.coffee.example/a.png", Ok(()));
        check(Request, "https://a.b.cdn.coffee.example/a.png", Ok(()));
        check(
            Request,
            "https://cdn.coffee.example/a.png",
            not_allowed("cdn.coffee.example", "request"),
        );
        check(
            Request,
            "https://api.coffee.example.evil.com/",
            not_allowed("api.coffee.example.evil.com", "request"),
        );
        check(
            Request,
            "https://evilapi.coffee.example/",
            not_allowed("evilapi.coffee.example", "request"),
        );
        check(Socket, "wss://push.coffee.example/live", Ok(()));
        check(
            Socket,
            "wss://api.coffee.example/live",
            not_allowed("api.coffee.example", "socket"),
        );
        check(
            DownloadFile,
            "https://api.coffee.example/f",
            not_allowed("api.coffee.example", "downloadFile"),
        );
        check(
            UploadFile,
            "https://api.coffee.example/f",
            not_allowed("api.coffee.example", "uploadFile"),
        );
    }

    #[test]
    fn url_tricks() {
        use NetKind::*;
        check(
            Request,
            "http://api.coffee.example/",
            Err(Denied::Scheme {
                scheme: "http".into(),
                want: "https",
            }),
        );
        check(
            Socket,
            "ws://push.coffee.example/",
            Err(Denied::Scheme {
                scheme: "ws".into(),
                want: "wss",
            }),
        );
        check(
            Request,
            "https://user:pw@api.coffee.example/",
            Err(Denied::UserInfo),
        );
        check(
            Request,
            "https://api.coffee.example@evil.com/",
            Err(Denied::UserInfo),
        );
        check(
            Request,
            "https://127.0.0.1/",
            Err(Denied::IpLiteral("127.0.0.1".into())),
        );
        check(
            Request,
            "https://2130706433/",
            Err(Denied::IpLiteral("127.0.0.1".into())),
        );
        check(
            Request,
            "https://0x7f.1/",
            Err(Denied::IpLiteral("127.0.0.1".into())),
        );
        check(
            Request,
            "https://0177.0.0.1/",
            Err(Denied::IpLiteral("127.0.0.1".into())),
        );
        check(
            Request,
            "https://[::1]/",
            Err(Denied::IpLiteral("::1".into())),
        );
        check(
            Request,
            "https://169.254.169.254/latest",
            Err(Denied::IpLiteral("169.254.169.254".into())),
        );
        check(Request, "https://localhost/", Err(Denied::Localhost));
        check(Request, "https://a.localhost/", Err(Denied::Localhost));
        // A Cyrillic "а" makes a different (punycode) host.
        check(
            Request,
            "https://\u{430}pi.coffee.example/",
            not_allowed("xn--pi-6kc.coffee.example", "request"),
        );
        check(
            Request,
            "javascript:alert(1)",
            Err(Denied::Scheme {
                scheme: "javascript".into(),
                want: "https",
            }),
        );
        check(
            Request,
            "not a url",
            Err(Denied::BadUrl("not a url".into())),
        );
    }

    #[test]
    fn empty_lists_deny_and_redirects_are_rechecked() {
        let p = NetPolicy::default();
        assert!(matches!(
            p.check_url(NetKind::Request, "https://api.coffee.example/"),
            Err(Denied::NotAllowed { .. })
        ));
        let p = policy();
        assert!(p
            .check_redirect(NetKind::Request, "https://api.coffee.example/next")
            .is_ok());
        assert!(matches!(
            p.check_redirect(NetKind::Request, "http://api.coffee.example/next"),
            Err(Denied::Scheme { .. })
        ));
        assert!(matches!(
            p.check_redirect(NetKind::Request, "https://evil.com/"),
            Err(Denied::NotAllowed { .. })
        ));
    }

    #[test]
    fn dev_origins_are_exact_and_loopback_only() {
        let p = policy().with_dev_origins(vec![
            DevOrigin {
                scheme: "http".into(),
                ip: "127.0.0.1".parse().expect("ip"),
                port: 8080,
            },
            DevOrigin {
                scheme: "http".into(),
                ip: "10.0.0.5".parse().expect("ip"),
                port: 80,
            },
        ]);
        assert!(
            p.check_url(NetKind::Request, "http://127.0.0.1:8080/menu")
                .expect("dev")
                .dev
        );
        assert!(matches!(
            p.check_url(NetKind::Request, "http://127.0.0.1:8081/"),
            Err(Denied::IpLiteral(_))
        ));
        assert!(matches!(
            p.check_url(NetKind::Request, "http://10.0.0.5/"),
            Err(Denied::IpLiteral(_))
        ));
    }

    #[test]
    fn wildcards_below_a_registrable_domain_are_normalized_and_kept() {
        for (entry, want) in [
            (
                "*.example.co.uk",
                DomainPattern::Subdomains("example.co.uk".into()),
            ),
            (
                "*.coffee.github.io",
                DomainPattern::Subdomains("coffee.github.io".into()),
            ),
            (
                "*.CDN.Example.com.",
                DomainPattern::Subdomains("cdn.example.com".into()),
            ),
            (
                "https://API.example.com",
                DomainPattern::Exact("api.example.com".into()),
            ),
            // An exact public suffix names one host, not everything under it.
            ("github.io", DomainPattern::Exact("github.io".into())),
        ] {
            assert_eq!(DomainPattern::parse(entry), Ok(want), "{entry}");
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        for (entry, reason) in [
            ("127.0.0.1", "IP addresses cannot be allowed"),
            ("localhost", "localhost cannot be allowed"),
            ("com", "a host needs at least two labels"),
            (
                "*.*.example.com",
                "expected a host name such as api.example.com or *.example.com",
            ),
            (
                "api.example.com/path",
                "expected a host name such as api.example.com or *.example.com",
            ),
            (
                "user@api.example.com",
                "expected a host name such as api.example.com or *.example.com",
            ),
            (
                "",
                "expected a host name such as api.example.com or *.example.com",
            ),
            (
                ".example.com",
                "a host name has no empty labels (no leading dot, no `..`)",
            ),
            (
                "api..example.com",
                "a host name has no empty labels (no leading dot, no `..`)",
            ),
            (
                "*.co.uk",
                "a wildcard must be below a registrable domain: this one covers a public suffix",
            ),
            (
                "*.nip.io",
                "a wildcard DNS service (nip.io and the like) resolves names to any address",
            ),
            (
                "10.0.0.1.nip.io",
                "a wildcard DNS service (nip.io and the like) resolves names to any address",
            ),
            (
                "*.app.sslip.io",
                "a wildcard DNS service (nip.io and the like) resolves names to any address",
            ),
            (
                "*.github.io",
                "a wildcard must be below a registrable domain: this one covers a public suffix",
            ),
            (
                "*.CO.UK.",
                "a wildcard must be below a registrable domain: this one covers a public suffix",
            ),
            ("*.com", "a host needs at least two labels"),
        ] {
            assert_eq!(
                DomainPattern::parse(entry),
                Err(Denied::BadPattern {
                    entry: entry.into(),
                    reason
                }),
                "{entry}"
            );
        }
        assert_eq!(
            DomainPattern::parse("https://API.Example.com."),
            Ok(DomainPattern::Exact("api.example.com".into()))
        );
    }

    #[test]
    fn internal_addresses() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert_eq!(check_address(ip), Err(Denied::InternalAddress(ip)), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert_eq!(check_address(ip.parse().expect("ip")), Ok(()), "{ip}");
        }
    }

    proptest::proptest! {
        /// Whatever the input, an allowed URL is https to a host the list names.
        #[test]
        fn allowed_urls_are_on_the_list(s in "(https?|wss?)://[a-zA-Z0-9.@:\\-\\[\\]]{1,40}(/[a-z]{0,5})?") {
            if let Ok(ok) = policy().check_url(NetKind::Request, &s) {
                proptest::prop_assert_eq!(ok.url.scheme(), "https");
                let host = ok.url.host_str().expect("host").trim_end_matches('.').to_owned();
                proptest::prop_assert!(host == "api.coffee.example" || host.ends_with(".cdn.coffee.example"), "{}", host);
                proptest::prop_assert!(ok.url.username().is_empty());
            }
        }

        #[test]
        fn subdomain_patterns_never_match_the_bare_suffix_or_lookalikes(label in "[a-z0-9]{1,10}") {
            let p = DomainPattern::parse("*.example.com").expect("pattern");
            let sub = format!("{}.example.com", label);
            let lookalike = format!("{}example.com", label);
            proptest::prop_assert!(p.matches(&sub));
            proptest::prop_assert!(!p.matches("example.com"));
            proptest::prop_assert!(!p.matches(&lookalike));
        }
    }
}
