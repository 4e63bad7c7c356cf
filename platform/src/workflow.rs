//! The release workflow: one state machine per (mini program, target app,
//! version). Every transition goes through [`transition`]; a request can never
//! set a state directly.

use serde::Serialize;

/// Where a release is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Started: the package for the target app is built.
    Built,
    /// A compatibility report is attached.
    Tested,
    /// Applied to release; waiting for a reviewer. Only basic info may change.
    InReview,
    /// Rejected with a reason: edit basic info and apply again, or start over.
    Rejected,
    /// Approved by a reviewer of the target app.
    Approved,
    /// In pilot testing with a tester list.
    Pilot,
    /// Pilot testing completed.
    Piloted,
    /// In grayscale at a percentage.
    Grayscale,
    /// Fully released (final).
    Released,
    /// Cancelled (final).
    Cancelled,
}

impl State {
    /// Its name in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Built => "built",
            State::Tested => "tested",
            State::InReview => "in_review",
            State::Rejected => "rejected",
            State::Approved => "approved",
            State::Pilot => "pilot",
            State::Piloted => "piloted",
            State::Grayscale => "grayscale",
            State::Released => "released",
            State::Cancelled => "cancelled",
        }
    }

    /// Every state, in workflow order.
    pub const ALL: [State; 10] = [
        State::Built,
        State::Tested,
        State::InReview,
        State::Rejected,
        State::Approved,
        State::Pilot,
        State::Piloted,
        State::Grayscale,
        State::Released,
        State::Cancelled,
    ];

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the release is still the active one of its (app, target app).
    pub fn active(self) -> bool {
        !matches!(self, State::Released | State::Cancelled)
    }
}

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
pub fn transition(state: State, action: Action) -> Option<State> {
    use Action as A;
    use State as S;
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
        (s, A::Cancel) if s.active() => S::Cancelled,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_table_is_a_snapshot() {
        let states = State::ALL;
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
            assert_eq!(State::parse(s.as_str()), Some(s));
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
            assert_eq!(transition(State::Released, a), None);
            assert_eq!(transition(State::Cancelled, a), None);
        }
        // Basic info is frozen once approved.
        assert_eq!(transition(State::Approved, Action::EditBasicInfo), None);
    }
}
