//! The release workflow: one state machine per (mini program, target app,
//! version). Every transition goes through [`transition`]; a request can never
//! set a state directly.

use serde::Serialize;

/// Where a release is: the one enum the server, the client and the CLI share.
pub use mpkit_platform_client::wire::ReleaseState;

/// What a caller asks a release to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Attach a compatibility report.
    AttachReport,
    /// Apply to release.
    Apply,
    /// Edit basic info.
    EditBasicInfo,
    /// A reviewer approves.
    Approve,
    /// A reviewer rejects.
    Reject,
    /// Start pilot testing.
    StartPilot,
    /// Update the tester list.
    UpdateTesters,
    /// Complete pilot testing.
    CompletePilot,
    /// Start (or raise) the grayscale.
    Grayscale,
    /// Release to everyone.
    Full,
    /// Cancel the release.
    Cancel,
}

/// The state after `action` in `state`, or `None` when it is not allowed.
pub fn transition(state: ReleaseState, action: Action) -> Option<ReleaseState> {
    use Action as A;
    use ReleaseState as S;
    Some(match (state, action) {
        (S::Built | S::Tested, A::AttachReport) => S::Tested,
        (S::Tested | S::Rejected, A::Apply) => S::InReview,
        (S::Built | S::Tested | S::InReview | S::Rejected, A::EditBasicInfo) => state,
        (S::InReview, A::Approve) => S::Approved,
        (S::InReview, A::Reject) => S::Rejected,
        (S::Approved, A::StartPilot) => S::Pilot,
        (S::Pilot, A::UpdateTesters) => S::Pilot,
        (S::Pilot, A::CompletePilot) => S::Piloted,
        (S::Approved | S::Piloted | S::Grayscale, A::Grayscale) => S::Grayscale,
        (S::Approved | S::Piloted | S::Grayscale, A::Full) => S::Released,
        (s, A::Cancel) if s.is_active() => S::Cancelled,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_table_is_a_snapshot() {
        let states = ReleaseState::ALL.iter().copied();
        let actions = [
            Action::AttachReport,
            Action::Apply,
            Action::EditBasicInfo,
            Action::Approve,
            Action::Reject,
            Action::StartPilot,
            Action::UpdateTesters,
            Action::CompletePilot,
            Action::Grayscale,
            Action::Full,
            Action::Cancel,
        ];
        let mut table = String::new();
        for s in states {
            let allowed: Vec<String> = actions
                .iter()
                .filter_map(|a| transition(s, *a).map(|t| format!("{a:?}->{}", t.as_str())))
                .collect();
            table.push_str(&format!("{}: {}\n", s.as_str(), allowed.join(", ")));
            assert_eq!(s.as_str().parse::<ReleaseState>().ok(), Some(s));
        }
        insta::assert_snapshot!(table);
    }

    #[test]
    fn final_states_allow_nothing() {
        for a in [
            Action::Apply,
            Action::Cancel,
            Action::Full,
            Action::Grayscale,
        ] {
            assert_eq!(transition(ReleaseState::Released, a), None);
            assert_eq!(transition(ReleaseState::Cancelled, a), None);
        }
        // Basic info is frozen once approved.
        assert_eq!(
            transition(ReleaseState::Approved, Action::EditBasicInfo),
            None
        );
    }
}
