//! User identity: target app operators, app secrets and auth codes.

use super::{seg, Client, Payload, Result};
use crate::wire;
use reqwest::Method;

impl Client {
    /// `POST /v1/target-apps/{t}/operators` (admins): lets `account` issue
    /// auth codes for the target app's users.
    pub async fn add_operator(&self, target: &str, account: &str) -> Result<wire::OperatorAdded> {
        self.post(
            &format!("/v1/target-apps/{}/operators", seg(target)),
            &wire::AccountRef {
                account_id: account.to_owned(),
            },
        )
        .await
    }

    /// `POST /v1/apps/{app}/secrets` (Master or Owner): a credential for the
    /// mini program's server; the answer carries the secret, shown once.
    pub async fn create_app_secret(&self, app: &str, name: &str) -> Result<wire::AppSecretCreated> {
        self.post(
            &format!("/v1/apps/{}/secrets", seg(app)),
            &wire::NewAppSecret {
                name: name.to_owned(),
            },
        )
        .await
    }

    /// `GET /v1/apps/{app}/secrets` (Master or Owner): without the secrets.
    pub async fn app_secrets(&self, app: &str) -> Result<Vec<wire::AppSecret>> {
        self.get(&format!("/v1/apps/{}/secrets", seg(app))).await
    }

    /// `DELETE /v1/apps/{app}/secrets/{id}` (Master or Owner): from now on
    /// the secret exchanges nothing.
    pub async fn revoke_app_secret(&self, app: &str, id: &str) -> Result<wire::AppSecret> {
        self.json(
            Method::DELETE,
            &format!("/v1/apps/{}/secrets/{}", seg(app), seg(id)),
            Payload::None,
        )
        .await
    }

    /// `POST /v1/auth-codes` (an operator of the target app): an auth code
    /// for (`app`, `user`). Never retried: each call mints a code.
    pub async fn issue_auth_code(&self, req: &wire::NewAuthCode) -> Result<wire::AuthCodeIssued> {
        self.post("/v1/auth-codes", req).await
    }

    /// `POST /v1/auth-codes/exchange`, with this client's token being an app
    /// secret: who the code stood for. A code is exchanged once.
    pub async fn exchange_auth_code(&self, code: &str) -> Result<wire::CodeExchanged> {
        self.post(
            "/v1/auth-codes/exchange",
            &wire::CodeExchange {
                code: code.to_owned(),
            },
        )
        .await
    }
}
