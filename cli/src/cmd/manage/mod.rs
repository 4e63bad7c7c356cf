//! The management commands, one file per resource: accounts, workspaces,
//! members, ISV authorizations, webhooks, developer keys, mini programs,
//! versions and target apps, through the typed platform client. What two of
//! them show alike is here.

pub(crate) mod account;
pub(crate) mod app;
pub(crate) mod isv;
pub(crate) mod key;
pub(crate) mod member;
pub(crate) mod target;
pub(crate) mod version;
pub(crate) mod webhook;
pub(crate) mod workspace;

use crate::output::{table, when};
use mpkit_platform_client::wire;

pub(crate) fn versions_table(vs: &[wire::VersionInfo]) -> String {
    let rows: Vec<Vec<String>> = vs
        .iter()
        .map(|v| {
            vec![
                v.version.clone(),
                v.build.to_string(),
                v.sha256.chars().take(16).collect(),
                v.length.to_string(),
                when(v.created_at),
            ]
        })
        .collect();
    table(&["VERSION", "BUILD", "SHA256", "BYTES", "UPLOADED"], &rows)
}

pub(crate) fn releases_table(rs: &[wire::ReleaseSummary]) -> String {
    let rows: Vec<Vec<String>> = rs
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.target_app.clone(),
                r.version.clone(),
                r.state.to_string(),
            ]
        })
        .collect();
    table(&["RELEASE", "TARGET", "VERSION", "STATE"], &rows)
}
