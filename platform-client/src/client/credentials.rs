//! Credentials: the caller's tokens, developer keys, the reviewers and
//! operators of target apps; listing and revoking each.

use super::{json, Client, Payload, Result};
use crate::{paths, wire};

impl Client {
    /// [`TOKENS`](paths::TOKENS): the caller's tokens.
    pub async fn tokens(&self) -> Result<Vec<wire::TokenInfo>> {
        self.all_pages(paths::TOKENS, &[], |t: &wire::TokenInfo| t.id.clone())
            .await
    }

    /// [`CREATE_TOKEN`](paths::CREATE_TOKEN): a new token for the caller,
    /// expiring after `expires_in_seconds` when given.
    pub async fn create_token(
        &self,
        expires_in_seconds: Option<u64>,
    ) -> Result<wire::TokenCreated> {
        self.call(
            paths::CREATE_TOKEN,
            &[],
            &[],
            json(&wire::NewToken { expires_in_seconds })?,
        )
        .await
    }

    /// [`REVOKE_TOKEN`](paths::REVOKE_TOKEN): revokes one of the caller's tokens.
    pub async fn revoke_token(&self, id: &str) -> Result<wire::TokenInfo> {
        self.call(paths::REVOKE_TOKEN, &[id], &[], Payload::None)
            .await
    }

    /// [`REVOKE_ACCOUNT_TOKENS`](paths::REVOKE_ACCOUNT_TOKENS) (admins).
    pub async fn revoke_account_tokens(&self, account: &str) -> Result<wire::TokensRevoked> {
        self.call(paths::REVOKE_ACCOUNT_TOKENS, &[account], &[], Payload::None)
            .await
    }

    /// [`KEYS`](paths::KEYS): a workspace's developer keys.
    pub async fn keys(&self, ws: &str) -> Result<Vec<wire::DevKey>> {
        self.all_pages(paths::KEYS, &[ws], |k: &wire::DevKey| k.key_id.clone())
            .await
    }

    /// [`REVOKE_KEY`](paths::REVOKE_KEY): revokes a developer key.
    pub async fn revoke_key(&self, ws: &str, key_id: &str) -> Result<wire::DevKey> {
        self.call(paths::REVOKE_KEY, &[ws, key_id], &[], Payload::None)
            .await
    }

    /// [`REVIEWERS`](paths::REVIEWERS) (admins).
    pub async fn reviewers(&self, target: &str) -> Result<Vec<wire::ReviewerAdded>> {
        self.all_pages(paths::REVIEWERS, &[target], |r: &wire::ReviewerAdded| {
            r.account_id.clone()
        })
        .await
    }

    /// [`REMOVE_REVIEWER`](paths::REMOVE_REVIEWER) (admins).
    pub async fn remove_reviewer(
        &self,
        target: &str,
        account: &str,
    ) -> Result<wire::ReviewerAdded> {
        self.call(
            paths::REMOVE_REVIEWER,
            &[target, account],
            &[],
            Payload::None,
        )
        .await
    }

    /// [`OPERATORS`](paths::OPERATORS) (admins).
    pub async fn operators(&self, target: &str) -> Result<Vec<wire::OperatorAdded>> {
        self.all_pages(paths::OPERATORS, &[target], |r: &wire::OperatorAdded| {
            r.account_id.clone()
        })
        .await
    }

    /// [`REMOVE_OPERATOR`](paths::REMOVE_OPERATOR) (admins).
    pub async fn remove_operator(
        &self,
        target: &str,
        account: &str,
    ) -> Result<wire::OperatorAdded> {
        self.call(
            paths::REMOVE_OPERATOR,
            &[target, account],
            &[],
            Payload::None,
        )
        .await
    }
}
