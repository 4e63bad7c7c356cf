//! Rollback, takedown, the signed policy, explain, dry runs, QR codes, and
//! what hosts call: resolve, the trust root and package downloads.

use super::{seg, Client, Limits, Payload, Progress, Result};
use crate::wire::{self, Signed};
use bytes::Bytes;
use reqwest::Method;

impl Client {
    /// Takes down the app in a target: resolve answers "nothing" afterwards.
    pub async fn takedown(&self, app: &str, target: &str) -> Result<wire::StableChanged> {
        self.post_empty(&format!(
            "/v1/apps/{}/targets/{}/takedown",
            seg(app),
            seg(target)
        ))
        .await
    }

    /// Makes an earlier fully released version the stable one again.
    pub async fn rollback(
        &self,
        app: &str,
        target: &str,
        version: &str,
    ) -> Result<wire::StableChanged> {
        self.post(
            &format!("/v1/apps/{}/targets/{}/rollback", seg(app), seg(target)),
            &wire::Rollback {
                version: version.to_owned(),
            },
        )
        .await
    }

    /// The signed release policy of (app, target).
    pub async fn policy(&self, app: &str, target: &str) -> Result<Signed> {
        self.get(&format!(
            "/v1/apps/{}/targets/{}/policy",
            seg(app),
            seg(target)
        ))
        .await
    }

    /// Why `user` gets what they get.
    pub async fn explain(&self, app: &str, target: &str, user: &str) -> Result<wire::Explanation> {
        self.get(&format!(
            "/v1/apps/{}/targets/{}/explain?user={}",
            seg(app),
            seg(target),
            seg(user)
        ))
        .await
    }

    /// How many of `users` a grayscale at `percent` would reach.
    pub async fn dry_run(
        &self,
        app: &str,
        target: &str,
        req: &wire::DryRun,
    ) -> Result<wire::DryRunResult> {
        self.post(
            &format!("/v1/apps/{}/targets/{}/dry-run", seg(app), seg(target)),
            req,
        )
        .await
    }

    /// The launch QR code: `format` is `svg` or `png`; `release` points it at
    /// a release's pilot instead of the stable version.
    pub async fn qr(
        &self,
        app: &str,
        target: &str,
        format: &str,
        release: Option<&str>,
    ) -> Result<Bytes> {
        let mut path = format!(
            "/v1/apps/{}/targets/{}/qr?format={}",
            seg(app),
            seg(target),
            seg(format)
        );
        if let Some(r) = release {
            path.push_str(&format!("&release={}", seg(r)));
        }
        self.send(Method::GET, &path, Payload::None).await
    }

    /// `GET /v1/resolve`: the signed answer for one user. The caller must
    /// verify it (see `mpkit-host`'s update manager); this only fetches.
    pub async fn resolve(&self, app: &str, target: &str, user: &str) -> Result<Signed> {
        self.get(&format!(
            "/v1/resolve?app={}&targetApp={}&user={}",
            seg(app),
            seg(target),
            seg(user)
        ))
        .await
    }

    /// The platform's trust root (hosts pin it out of band; this is for setup).
    pub async fn root_json(&self) -> Result<Bytes> {
        self.send(Method::GET, "/v1/trust/root.json", Payload::None)
            .await
    }

    /// Downloads a release package, streamed and held to `limits`.
    pub async fn download_package(
        &self,
        app: &str,
        target: &str,
        version: &str,
        limits: Limits,
        progress: Option<Progress>,
    ) -> Result<Vec<u8>> {
        let path = format!("/v1/packages/{}/{}/{}", seg(app), seg(target), seg(version));
        self.download(&path, limits, progress).await
    }
}
