//! Hosts in tests.

use mpkit_host::NetConfig;
use std::sync::Arc;

/// A network configuration whose every name lookup fails at once: tests
/// stay on this machine. A mini program's request to a name (Coffee Club's
/// production API) fails as offline; loopback dev origins, which are never
/// looked up, still answer.
pub fn offline_network() -> NetConfig {
    NetConfig {
        lookup: Some(Arc::new(|_: &str| {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "tests stay on this machine",
            ))
        })),
        ..NetConfig::default()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_lookup_fails() {
        let net = super::offline_network();
        let lookup = net.lookup.expect("a lookup");
        for name in ["api.coffeeclub.example", "localhost", "example.com"] {
            let e = lookup(name).expect_err(name);
            assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        }
    }
}
