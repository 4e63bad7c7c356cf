//! Rollback, takedown, the signed policy, explain, dry runs, QR codes, and
//! what hosts call: resolve, the trust root and package downloads.

use super::{json, Client, Limits, Payload, Progress, Result};
use crate::paths;
use crate::wire::{self, Signed};
use bytes::Bytes;

impl Client {
    /// Takes down the app in a target: resolve answers "nothing" afterwards.
    pub async fn takedown(&self, app: &str, target: &str) -> Result<wire::StableChanged> {
        self.call(paths::TAKEDOWN, &[app, target], &[], Payload::None)
            .await
    }

    /// Makes an earlier fully released version the stable one again.
    pub async fn rollback(
        &self,
        app: &str,
        target: &str,
        version: &str,
    ) -> Result<wire::StableChanged> {
        self.call(
            paths::ROLLBACK,
            &[app, target],
            &[],
            json(&wire::Rollback {
                version: version.to_owned(),
            })?,
        )
        .await
    }

    /// The signed release policy of (app, target).
    pub async fn policy(&self, app: &str, target: &str) -> Result<Signed> {
        self.call(paths::POLICY, &[app, target], &[], Payload::None)
            .await
    }

    /// Why `user` gets what they get.
    pub async fn explain(&self, app: &str, target: &str, user: &str) -> Result<wire::Explanation> {
        self.call(
            paths::EXPLAIN,
            &[app, target],
            &[("user", user)],
            Payload::None,
        )
        .await
    }

    /// How many of `users` a grayscale at `percent` would reach.
    pub async fn dry_run(
        &self,
        app: &str,
        target: &str,
        req: &wire::DryRun,
    ) -> Result<wire::DryRunResult> {
        self.call(paths::DRY_RUN, &[app, target], &[], json(req)?)
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
        let mut query = vec![("format", format)];
        if let Some(r) = release {
            query.push(("release", r));
        }
        self.call_bytes(paths::QR, &[app, target], &query).await
    }

    /// [`RESOLVE`](paths::RESOLVE): the signed answer for one user. The caller must
    /// verify it (see `mpkit-host`'s update manager); this only fetches.
    pub async fn resolve(&self, app: &str, target: &str, user: &str) -> Result<Signed> {
        self.call(
            paths::RESOLVE,
            &[],
            &[("app", app), ("targetApp", target), ("user", user)],
            Payload::None,
        )
        .await
    }

    /// The platform's trust root (hosts pin it out of band; this is for setup).
    pub async fn root_json(&self) -> Result<Bytes> {
        self.call_bytes(paths::ROOT_JSON, &[], &[]).await
    }

    /// Downloads a release package, streamed and held to `limits`. The
    /// platform serves it to `user` when the signed policy gives them that
    /// version (the stable version to everyone), and to the mini program's
    /// members and the release's reviewers by their token.
    pub async fn download_package(
        &self,
        app: &str,
        target: &str,
        version: &str,
        user: Option<&str>,
        limits: Limits,
        progress: Option<Progress>,
    ) -> Result<Vec<u8>> {
        let query: Vec<(&str, &str)> = user.map(|u| ("user", u)).into_iter().collect();
        let path = super::with_query(paths::PACKAGE.path(&[app, target, version]), &query);
        self.download(&path, limits, progress).await
    }
}
