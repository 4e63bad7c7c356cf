//! The release workflow.

use super::{json, Client, Payload, Result};
use crate::{paths, wire};

impl Client {
    /// Starts a release of an uploaded version into a target app.
    pub async fn start_release(
        &self,
        app: &str,
        req: &wire::NewRelease,
    ) -> Result<wire::ReleaseStarted> {
        self.call(paths::START_RELEASE, &[app], &[], json(req)?)
            .await
    }

    /// A release and its state.
    pub async fn release(&self, id: &str) -> Result<wire::Release> {
        self.call(paths::RELEASE, &[id], &[], Payload::None).await
    }

    /// Attaches a compatibility report (any JSON document).
    pub async fn compat_report(
        &self,
        id: &str,
        report: &serde_json::Value,
    ) -> Result<wire::StateChanged> {
        self.call(paths::COMPAT_REPORT, &[id], &[], json(report)?)
            .await
    }

    /// Edits the release's basic info.
    pub async fn basic_info(
        &self,
        id: &str,
        info: &serde_json::Value,
    ) -> Result<wire::StateChanged> {
        self.call(paths::BASIC_INFO, &[id], &[], json(info)?).await
    }

    /// Applies for release (needs a compatibility report).
    pub async fn apply(&self, id: &str) -> Result<wire::StateChanged> {
        self.call(paths::APPLY, &[id], &[], Payload::None).await
    }

    /// A reviewer approves.
    pub async fn approve(&self, id: &str) -> Result<wire::StateChanged> {
        self.call(
            paths::REVIEW,
            &[id],
            &[],
            json(&wire::Review {
                decision: wire::ReviewDecision::Approve,
                reason: None,
            })?,
        )
        .await
    }

    /// A reviewer rejects, with a reason.
    pub async fn reject(&self, id: &str, reason: &str) -> Result<wire::StateChanged> {
        self.call(
            paths::REVIEW,
            &[id],
            &[],
            json(&wire::Review {
                decision: wire::ReviewDecision::Reject,
                reason: Some(reason.to_owned()),
            })?,
        )
        .await
    }

    /// Starts pilot testing with these tester user ids.
    pub async fn start_pilot(&self, id: &str, testers: &[String]) -> Result<wire::StateChanged> {
        self.call(
            paths::START_PILOT,
            &[id],
            &[],
            json(&wire::Pilot {
                testers: testers.to_vec(),
            })?,
        )
        .await
    }

    /// Replaces the tester list from a tester file (one id per line, or CSV
    /// with a `userid` column); refused lines come back in the answer.
    pub async fn put_testers(&self, id: &str, file: &str) -> Result<wire::TestersReplaced> {
        self.call(
            paths::PUT_TESTERS,
            &[id],
            &[],
            Payload::Text(file.to_owned()),
        )
        .await
    }

    /// Completes pilot testing.
    pub async fn complete_pilot(&self, id: &str) -> Result<wire::StateChanged> {
        self.call(paths::COMPLETE_PILOT, &[id], &[], Payload::None)
            .await
    }

    /// Starts or raises a grayscale (`percent` with up to two decimals).
    pub async fn grayscale(&self, id: &str, percent: &str) -> Result<wire::StateChanged> {
        self.grayscale_with_salt(id, percent, None).await
    }

    /// Starts a grayscale with a chosen bucket salt (or raises it, repeating
    /// the running salt); `None` lets the platform mint one.
    pub async fn grayscale_with_salt(
        &self,
        id: &str,
        percent: &str,
        salt: Option<&str>,
    ) -> Result<wire::StateChanged> {
        self.call(
            paths::GRAYSCALE,
            &[id],
            &[],
            json(&wire::Gray {
                percent: percent.to_owned(),
                salt: salt.map(str::to_owned),
            })?,
        )
        .await
    }

    /// Releases to everyone.
    pub async fn full(&self, id: &str) -> Result<wire::StateChanged> {
        self.call(paths::FULL, &[id], &[], Payload::None).await
    }

    /// Cancels the release (also ends a pilot or a grayscale).
    pub async fn cancel(&self, id: &str) -> Result<wire::StateChanged> {
        self.call(paths::CANCEL, &[id], &[], Payload::None).await
    }
}
