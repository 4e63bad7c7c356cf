//! Mini programs, their versions and assignments, and target apps.

use super::{api_error, json, transport, Client, Error, Payload, Progress, Result, CHUNK};
use crate::{paths, wire};
use bytes::Bytes;
use reqwest::header;

impl Client {
    /// [`APP`](paths::APP).
    pub async fn app(&self, app: &str) -> Result<wire::AppDetail> {
        self.call(paths::APP, &[app], &[], Payload::None).await
    }

    /// [`ASSIGN`](paths::ASSIGN): assigns a Developer, with or without the
    /// production grant (rollback, takedown).
    pub async fn assign(
        &self,
        app: &str,
        account: &str,
        production: bool,
    ) -> Result<wire::Assignment> {
        self.call(
            paths::ASSIGN,
            &[app],
            &[],
            json(&wire::NewAssignment {
                account_id: account.to_owned(),
                production,
            })?,
        )
        .await
    }

    /// [`VERSIONS`](paths::VERSIONS).
    pub async fn versions(&self, app: &str) -> Result<Vec<wire::VersionInfo>> {
        self.all_pages(paths::VERSIONS, &[app], |v: &wire::VersionInfo| {
            v.build.to_string()
        })
        .await
    }

    /// [`UPLOAD_VERSION`](paths::UPLOAD_VERSION): uploads a developer-signed bundle,
    /// streamed in 64 KiB chunks with `progress`. Not retried.
    pub async fn upload_version(
        &self,
        app: &str,
        bundle: Bytes,
        progress: Option<Progress>,
    ) -> Result<wire::VersionUploaded> {
        let path = paths::UPLOAD_VERSION.path(&[app]);
        let total = bundle.len() as u64;
        let chunks: Vec<Bytes> = (0..bundle.len())
            .step_by(CHUNK)
            .map(|at| bundle.slice(at..(at + CHUNK).min(bundle.len())))
            .collect();
        let mut done = 0u64;
        let stream = futures_util::stream::iter(chunks.into_iter().map(move |c| {
            done += c.len() as u64;
            if let Some(p) = &progress {
                p(done, Some(total));
            }
            Ok::<Bytes, std::io::Error>(c)
        }));
        let mut r = self
            .http
            .post(self.url(&path))
            .header(header::CONTENT_TYPE, "application/vnd.mpkit.bundle")
            .header(header::CONTENT_LENGTH, total)
            .body(reqwest::Body::wrap_stream(stream));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        let url = self.url(&path);
        let send = async {
            let resp = r.send().await.map_err(|e| transport(&url, e))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| transport(&url, e))?;
            if !status.is_success() {
                return Err(api_error(status, &body));
            }
            serde_json::from_slice(&body).map_err(|e| Error::Decode(format!("{path}: {e}")))
        };
        tokio::time::timeout(self.config.timeout, send)
            .await
            .map_err(|_| Error::Timeout(self.config.timeout))?
    }

    /// [`CREATE_TARGET`](paths::CREATE_TARGET) (admins).
    pub async fn create_target(&self, t: &wire::NewTarget) -> Result<wire::TargetApp> {
        self.call(paths::CREATE_TARGET, &[], &[], json(t)?).await
    }

    /// [`TARGETS`](paths::TARGETS).
    pub async fn targets(&self) -> Result<Vec<wire::TargetApp>> {
        self.all_pages(paths::TARGETS, &[], |t: &wire::TargetApp| t.id.clone())
            .await
    }

    /// [`ADD_REVIEWER`](paths::ADD_REVIEWER) (admins).
    pub async fn add_reviewer(&self, target: &str, account: &str) -> Result<wire::ReviewerAdded> {
        self.call(
            paths::ADD_REVIEWER,
            &[target],
            &[],
            json(&wire::AccountRef {
                account_id: account.to_owned(),
            })?,
        )
        .await
    }
}
