//! Workspaces, members and roles, developer keys, mini programs of a
//! workspace, and ISV authorizations.

use super::{seg, Client, Error, Payload, Result};
use crate::wire;
use reqwest::Method;

impl Client {
    /// `POST /v1/workspaces`: the caller becomes its Master.
    pub async fn create_workspace(
        &self,
        name: &str,
        kind: wire::WorkspaceKind,
    ) -> Result<wire::Workspace> {
        self.post(
            "/v1/workspaces",
            &wire::NewWorkspace {
                name: name.to_owned(),
                kind,
            },
        )
        .await
    }

    /// `GET /v1/workspaces/{ws}/members`.
    pub async fn members(&self, ws: &str) -> Result<Vec<wire::Member>> {
        self.get(&format!("/v1/workspaces/{}/members", seg(ws)))
            .await
    }

    /// `POST /v1/workspaces/{ws}/members` (Master).
    pub async fn add_member(
        &self,
        ws: &str,
        account: &str,
        role: wire::Role,
    ) -> Result<wire::Member> {
        self.post(
            &format!("/v1/workspaces/{}/members", seg(ws)),
            &wire::NewMember {
                account_id: account.to_owned(),
                role,
            },
        )
        .await
    }

    /// `PATCH /v1/workspaces/{ws}/members/{account}` (Master).
    pub async fn set_role(
        &self,
        ws: &str,
        account: &str,
        role: wire::Role,
    ) -> Result<wire::Member> {
        let b = serde_json::to_vec(&wire::SetRole { role })
            .map_err(|e| Error::Decode(e.to_string()))?;
        self.json(
            Method::PATCH,
            &format!("/v1/workspaces/{}/members/{}", seg(ws), seg(account)),
            Payload::Json(b),
        )
        .await
    }

    /// `DELETE /v1/workspaces/{ws}/members/{account}` (Master).
    pub async fn remove_member(&self, ws: &str, account: &str) -> Result<wire::Member> {
        self.json(
            Method::DELETE,
            &format!("/v1/workspaces/{}/members/{}", seg(ws), seg(account)),
            Payload::None,
        )
        .await
    }

    /// `POST /v1/workspaces/{ws}/keys`: registers a developer public key.
    pub async fn register_key(
        &self,
        ws: &str,
        public_key_hex: &str,
    ) -> Result<wire::KeyRegistered> {
        self.post(
            &format!("/v1/workspaces/{}/keys", seg(ws)),
            &wire::NewKey {
                public_key_hex: public_key_hex.to_owned(),
            },
        )
        .await
    }

    /// `POST /v1/workspaces/{ws}/apps`.
    pub async fn create_app(&self, ws: &str, app: &wire::NewApp) -> Result<wire::App> {
        self.post(&format!("/v1/workspaces/{}/apps", seg(ws)), app)
            .await
    }

    /// `GET /v1/workspaces/{ws}/apps`: the apps the caller sees there.
    pub async fn apps(&self, ws: &str) -> Result<Vec<wire::App>> {
        self.get(&format!("/v1/workspaces/{}/apps", seg(ws))).await
    }

    /// `POST /v1/workspaces/{ws}/isv-authorizations` (merchant Master).
    pub async fn authorize_isv(
        &self,
        ws: &str,
        auth: &wire::NewAuth,
    ) -> Result<wire::IsvAuthorization> {
        self.post(
            &format!("/v1/workspaces/{}/isv-authorizations", seg(ws)),
            auth,
        )
        .await
    }

    /// `DELETE /v1/isv-authorizations/{id}`.
    pub async fn revoke_isv(&self, id: &str) -> Result<wire::Revoked> {
        self.json(
            Method::DELETE,
            &format!("/v1/isv-authorizations/{}", seg(id)),
            Payload::None,
        )
        .await
    }
}
