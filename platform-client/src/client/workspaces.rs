//! Workspaces, members and roles, developer keys, mini programs of a
//! workspace, and ISV authorizations.

use super::{json, Client, Payload, Result};
use crate::{paths, wire};

impl Client {
    /// [`CREATE_WORKSPACE`](paths::CREATE_WORKSPACE): the caller becomes its Master.
    pub async fn create_workspace(
        &self,
        name: &str,
        kind: wire::WorkspaceKind,
    ) -> Result<wire::Workspace> {
        self.call(
            paths::CREATE_WORKSPACE,
            &[],
            &[],
            json(&wire::NewWorkspace {
                name: name.to_owned(),
                kind,
            })?,
        )
        .await
    }

    /// [`MEMBERS`](paths::MEMBERS).
    pub async fn members(&self, ws: &str) -> Result<Vec<wire::Member>> {
        self.all_pages(paths::MEMBERS, &[ws], |m: &wire::Member| {
            m.account_id.clone()
        })
        .await
    }

    /// [`ADD_MEMBER`](paths::ADD_MEMBER) (Master).
    pub async fn add_member(
        &self,
        ws: &str,
        account: &str,
        role: wire::Role,
    ) -> Result<wire::Member> {
        self.call(
            paths::ADD_MEMBER,
            &[ws],
            &[],
            json(&wire::NewMember {
                account_id: account.to_owned(),
                role,
            })?,
        )
        .await
    }

    /// [`SET_ROLE`](paths::SET_ROLE) (Master).
    pub async fn set_role(
        &self,
        ws: &str,
        account: &str,
        role: wire::Role,
    ) -> Result<wire::Member> {
        self.call(
            paths::SET_ROLE,
            &[ws, account],
            &[],
            json(&wire::SetRole { role })?,
        )
        .await
    }

    /// [`REMOVE_MEMBER`](paths::REMOVE_MEMBER) (Master).
    pub async fn remove_member(&self, ws: &str, account: &str) -> Result<wire::Member> {
        self.call(paths::REMOVE_MEMBER, &[ws, account], &[], Payload::None)
            .await
    }

    /// [`REGISTER_KEY`](paths::REGISTER_KEY): registers a developer public key.
    pub async fn register_key(
        &self,
        ws: &str,
        public_key_hex: &str,
    ) -> Result<wire::KeyRegistered> {
        self.call(
            paths::REGISTER_KEY,
            &[ws],
            &[],
            json(&wire::NewKey {
                public_key_hex: public_key_hex.to_owned(),
            })?,
        )
        .await
    }

    /// [`CREATE_APP`](paths::CREATE_APP).
    pub async fn create_app(&self, ws: &str, app: &wire::NewApp) -> Result<wire::App> {
        self.call(paths::CREATE_APP, &[ws], &[], json(app)?).await
    }

    /// [`APPS`](paths::APPS): the apps the caller sees there.
    pub async fn apps(&self, ws: &str) -> Result<Vec<wire::App>> {
        self.all_pages(paths::APPS, &[ws], |a: &wire::App| a.app_id.clone())
            .await
    }

    /// [`AUTHORIZE_ISV`](paths::AUTHORIZE_ISV) (merchant Master).
    pub async fn authorize_isv(
        &self,
        ws: &str,
        auth: &wire::NewAuth,
    ) -> Result<wire::IsvAuthorization> {
        self.call(paths::AUTHORIZE_ISV, &[ws], &[], json(auth)?)
            .await
    }

    /// [`REVOKE_ISV`](paths::REVOKE_ISV).
    pub async fn revoke_isv(&self, id: &str) -> Result<wire::Revoked> {
        self.call(paths::REVOKE_ISV, &[id], &[], Payload::None)
            .await
    }
}
