//! The release workflow: one state machine per (mini program, target app,
//! version). Every transition goes through [`transition`]; a request can never
//! set a state directly. A step the state does not allow is refused with
//! [`refusal`]: where the release is and what can be done next, in plain
//! words, from the same table.

use mpkit_platform_client::paths;
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

impl Action {
    /// Every action, in workflow order.
    pub const ALL: [Action; 11] = [
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

    /// What the step does, as the verb phrase of a sentence ("you cannot …").
    fn verb(self) -> &'static str {
        match self {
            Action::AttachReport => "attach a compatibility report",
            Action::Apply => "apply for review",
            Action::EditBasicInfo => "edit its basic info",
            Action::Approve => "approve it",
            Action::Reject => "reject it",
            Action::StartPilot => "start a pilot",
            Action::UpdateTesters => "replace the pilot's testers",
            Action::CompletePilot => "complete the pilot",
            Action::Grayscale => "start or raise a grayscale",
            Action::Full => "release it to everyone",
            Action::Cancel => "cancel it",
        }
    }

    /// How to take the step: the CLI's command, and who may.
    fn how(self) -> String {
        match self {
            Action::AttachReport => "`mpkit release compat-report FILE`".into(),
            Action::Apply => "`mpkit release apply`".into(),
            Action::EditBasicInfo => format!("`{}`", paths::BASIC_INFO),
            Action::Approve => "a reviewer of the target app: `mpkit release approve`".into(),
            Action::Reject => {
                "a reviewer of the target app: `mpkit release reject --reason TEXT`".into()
            }
            Action::StartPilot => "`mpkit release testers add`".into(),
            Action::UpdateTesters => "`mpkit release testers update --file FILE`".into(),
            Action::CompletePilot => "`mpkit release pilot complete`".into(),
            Action::Grayscale => "`mpkit release gray PERCENT`".into(),
            Action::Full => "`mpkit release full`".into(),
            Action::Cancel => "`mpkit release cancel`".into(),
        }
    }
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

/// Whether `action` becomes possible in a later state of the release.
fn possible_later(state: ReleaseState, action: Action) -> bool {
    let mut seen = vec![state];
    let mut next = vec![state];
    while let Some(s) = next.pop() {
        for a in Action::ALL {
            if let Some(t) = transition(s, a) {
                if !seen.contains(&t) {
                    if transition(t, action).is_some() {
                        return true;
                    }
                    seen.push(t);
                    next.push(t);
                }
            }
        }
    }
    false
}

/// Why release `id` in `state` cannot take `action`, and what it can do
/// next, in plain words: every step the state allows, with its command. A
/// released or cancelled release is final; another version takes a new release.
pub(crate) fn refusal(id: &str, state: ReleaseState, action: Action) -> String {
    let now = format!("release {id} is {}", state.describe());
    let allowed: Vec<String> = Action::ALL
        .into_iter()
        .filter(|a| transition(state, *a).is_some())
        .map(|a| format!("{} ({})", a.verb(), a.how()))
        .collect();
    if allowed.is_empty() {
        return format!(
            "{now}, so you cannot {} any more: it is final. To ship another version, start a new release (`mpkit release start`).",
            action.verb()
        );
    }
    // The step that led here cannot be taken again; one still ahead can be
    // taken later; any other is behind the release.
    let led_here = ReleaseState::ALL
        .iter()
        .any(|s| *s != state && transition(*s, action) == Some(state));
    let when = if led_here {
        "again"
    } else if possible_later(state, action) {
        "yet"
    } else {
        "any more"
    };
    let mut next = allowed.join("; ");
    if state == ReleaseState::Rejected {
        next.push_str(
            "; or start a new release of a fixed version (`mpkit release start`), which replaces this one",
        );
    }
    format!(
        "{now}, so you cannot {} {when}. What you can do now: {next}.",
        action.verb()
    )
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

    /// Every refusal the workflow can give, as users read it.
    #[test]
    fn every_refusal_says_where_the_release_is_and_what_comes_next() {
        let mut table = String::new();
        for s in ReleaseState::ALL.iter().copied() {
            for a in Action::ALL {
                if transition(s, a).is_none() {
                    let m = refusal("R1", s, a);
                    assert!(m.contains(s.describe()), "{m}");
                    assert!(!m.contains(&format!("{a:?}")), "no internal names: {m}");
                    table.push_str(&format!("{}, {a:?}:\n  {m}\n", s.as_str()));
                }
            }
        }
        insta::assert_snapshot!(table);
    }

    #[test]
    fn a_grayscale_in_pilot_names_the_step_that_comes_first() {
        let m = refusal("R1", ReleaseState::Pilot, Action::Grayscale);
        assert!(
            m.starts_with(
                "release R1 is in pilot testing, so you cannot start or raise a grayscale yet."
            ),
            "{m}"
        );
        assert!(
            m.contains("complete the pilot (`mpkit release pilot complete`)"),
            "{m}"
        );
        let m = refusal("R1", ReleaseState::Released, Action::Cancel);
        assert!(
            m.contains("it is final") && m.contains("`mpkit release start`"),
            "{m}"
        );
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
