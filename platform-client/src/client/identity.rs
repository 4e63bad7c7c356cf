//! User identity: target app operators, app secrets and auth codes.

use super::{json, Client, Payload, Result};
use crate::{paths, wire};

impl Client {
    /// [`ADD_OPERATOR`](paths::ADD_OPERATOR) (admins): lets `account` issue
    /// auth codes for the target app's users.
    pub async fn add_operator(&self, target: &str, account: &str) -> Result<wire::OperatorAdded> {
        self.call(
            paths::ADD_OPERATOR,
            &[target],
            &[],
            json(&wire::AccountRef {
                account_id: account.to_owned(),
            })?,
        )
        .await
    }

    /// [`CREATE_APP_SECRET`](paths::CREATE_APP_SECRET) (Master or Owner): a credential for the
    /// mini program's server; the answer carries the secret, shown once.
    pub async fn create_app_secret(&self, app: &str, name: &str) -> Result<wire::AppSecretCreated> {
        self.call(
            paths::CREATE_APP_SECRET,
            &[app],
            &[],
            json(&wire::NewAppSecret {
                name: name.to_owned(),
            })?,
        )
        .await
    }

    /// [`APP_SECRETS`](paths::APP_SECRETS) (Master or Owner): without the secrets.
    pub async fn app_secrets(&self, app: &str) -> Result<Vec<wire::AppSecret>> {
        self.all_pages(paths::APP_SECRETS, &[app], |s: &wire::AppSecret| {
            s.id.clone()
        })
        .await
    }

    /// [`REVOKE_APP_SECRET`](paths::REVOKE_APP_SECRET) (Master or Owner): from now on
    /// the secret exchanges nothing.
    pub async fn revoke_app_secret(&self, app: &str, id: &str) -> Result<wire::AppSecret> {
        self.call(paths::REVOKE_APP_SECRET, &[app, id], &[], Payload::None)
            .await
    }

    /// [`ISSUE_AUTH_CODE`](paths::ISSUE_AUTH_CODE) (an operator of the target app): an auth code
    /// for (`app`, `user`). Never retried: each call mints a code.
    pub async fn issue_auth_code(&self, req: &wire::NewAuthCode) -> Result<wire::AuthCodeIssued> {
        self.call(paths::ISSUE_AUTH_CODE, &[], &[], json(req)?)
            .await
    }

    /// [`EXCHANGE_AUTH_CODE`](paths::EXCHANGE_AUTH_CODE), with this client's token being an app
    /// secret: who the code stood for. A code is exchanged once.
    pub async fn exchange_auth_code(&self, code: &str) -> Result<wire::CodeExchanged> {
        self.call(
            paths::EXCHANGE_AUTH_CODE,
            &[],
            &[],
            json(&wire::CodeExchange {
                code: code.to_owned(),
            })?,
        )
        .await
    }
}
