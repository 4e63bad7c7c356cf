//! Mini programs, their versions and assignments, and target apps.

use super::{api_error, seg, transport, Client, Error, Progress, Result, CHUNK};
use crate::wire;
use bytes::Bytes;
use reqwest::header;

impl Client {
    /// `GET /v1/apps/{app}`.
    pub async fn app(&self, app: &str) -> Result<wire::AppDetail> {
        self.get(&format!("/v1/apps/{}", seg(app))).await
    }

    /// `POST /v1/apps/{app}/assignments`: assigns a Developer.
    pub async fn assign(&self, app: &str, account: &str) -> Result<wire::Assignment> {
        self.post(
            &format!("/v1/apps/{}/assignments", seg(app)),
            &wire::AccountRef {
                account_id: account.to_owned(),
            },
        )
        .await
    }

    /// `GET /v1/apps/{app}/versions`.
    pub async fn versions(&self, app: &str) -> Result<Vec<wire::VersionInfo>> {
        self.get(&format!("/v1/apps/{}/versions", seg(app))).await
    }

    /// `POST /v1/apps/{app}/versions`: uploads a developer-signed bundle,
    /// streamed in 64 KiB chunks with `progress`. Not retried.
    pub async fn upload_version(
        &self,
        app: &str,
        bundle: Bytes,
        progress: Option<Progress>,
    ) -> Result<wire::VersionUploaded> {
        let path = format!("/v1/apps/{}/versions", seg(app));
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

    /// `POST /v1/target-apps` (admins).
    pub async fn create_target(&self, t: &wire::NewTarget) -> Result<wire::TargetApp> {
        self.post("/v1/target-apps", t).await
    }

    /// `GET /v1/target-apps`.
    pub async fn targets(&self) -> Result<Vec<wire::TargetApp>> {
        self.get("/v1/target-apps").await
    }

    /// `POST /v1/target-apps/{t}/reviewers` (admins).
    pub async fn add_reviewer(&self, target: &str, account: &str) -> Result<wire::ReviewerAdded> {
        self.post(
            &format!("/v1/target-apps/{}/reviewers", seg(target)),
            &wire::AccountRef {
                account_id: account.to_owned(),
            },
        )
        .await
    }
}
