//! Pilot tester lists: the one parser of tester files (CSV or TXT) that the
//! platform applies and a client can run before uploading.

use std::collections::BTreeSet;

/// A line of a tester file that was not taken, and why: the very type the
/// platform answers with (`TestersReplaced::rejected`).
pub use crate::wire::RejectedLine as Rejected;

/// The most testers a pilot takes.
pub const MAX_TESTERS: usize = 100_000;

/// Checks one tester id: 1 to 64 of `[A-Za-z0-9_.@+-]`.
pub fn check_id(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("empty");
    }
    if s.len() > 64 {
        return Err("longer than 64 characters");
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.@+-".contains(c))
    {
        return Err("characters outside [A-Za-z0-9_.@+-]");
    }
    Ok(())
}

/// Parses a tester file: one user id per line (the first CSV column, quotes
/// trimmed). A `user_id`/`userid` header on the first line, blank lines and
/// `#` comments are skipped. Returns the distinct ids, sorted, and every
/// rejected line with its reason (duplicates included).
pub fn parse(text: &str) -> (Vec<String>, Vec<Rejected>) {
    let mut ok = BTreeSet::new();
    let mut rejected = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let raw = line.trim_start_matches('\u{feff}').trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let id = raw.split(',').next().unwrap_or("").trim().trim_matches('"');
        if i == 0 && (id.eq_ignore_ascii_case("user_id") || id.eq_ignore_ascii_case("userid")) {
            continue;
        }
        let reject = |reason: &str| Rejected {
            line: i + 1,
            text: raw.chars().take(80).collect(),
            reason: String::from(reason),
        };
        match check_id(id) {
            Ok(()) if ok.contains(id) => rejected.push(reject("duplicate")),
            Ok(()) => {
                ok.insert(id.to_owned());
            }
            Err(why) => rejected.push(reject(why)),
        }
    }
    (ok.into_iter().collect(), rejected)
}

/// Checks a list of tester ids given one by one (a JSON array), element by
/// element: each must be an id as it stands, with nothing trimmed, split or
/// skipped (`"alice\nbob"` is one bad id, not two testers). Returns the
/// distinct ids, sorted, and each rejected element (its `line` is its
/// position from 1).
pub fn check_list(ids: &[String]) -> (Vec<String>, Vec<Rejected>) {
    let mut ok = BTreeSet::new();
    let mut rejected = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let reject = |reason: &str| Rejected {
            line: i + 1,
            text: id.chars().take(80).collect(),
            reason: String::from(reason),
        };
        match check_id(id) {
            Ok(()) if !ok.insert(id.clone()) => rejected.push(reject("duplicate")),
            Ok(()) => {}
            Err(why) => rejected.push(reject(why)),
        }
    }
    (ok.into_iter().collect(), rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_checked_element_by_element() {
        let list: Vec<String> = [
            "u-1",
            "alice\nbob",
            " u-2",
            "u-3,x",
            "# c",
            "user_id",
            "u-1",
            "",
        ]
        .map(String::from)
        .to_vec();
        let (ok, bad) = check_list(&list);
        assert_eq!(ok, ["u-1", "user_id"]);
        let got: Vec<(usize, &str)> = bad.iter().map(|r| (r.line, r.reason.as_str())).collect();
        let outside = "characters outside [A-Za-z0-9_.@+-]";
        assert_eq!(
            got,
            [
                (2, outside),
                (3, outside),
                (4, outside),
                (5, outside),
                (7, "duplicate"),
                (8, "empty")
            ]
        );
    }

    #[test]
    fn tester_files_report_bad_lines() {
        let (ok, bad) = parse("user_id\nu-1\n\n# comment\nu-2,extra\nu 3\nu-1\n\"u-4\"\nuserid\n");
        // A header is skipped on the first line only; later, "userid" is an id.
        assert_eq!(ok, ["u-1", "u-2", "u-4", "userid"]);
        let lines: Vec<(usize, &str)> = bad.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(
            lines,
            [(6, "characters outside [A-Za-z0-9_.@+-]"), (7, "duplicate")]
        );
    }

    proptest::proptest! {
        /// Whatever the file, every accepted id passes the id check, ids are
        /// distinct, and every line is accounted for at most once.
        #[test]
        fn accepted_ids_are_valid(text in "\\PC{0,400}") {
            let (ok, bad) = parse(&text);
            for id in &ok {
                proptest::prop_assert!(check_id(id).is_ok());
            }
            let distinct: BTreeSet<&String> = ok.iter().collect();
            proptest::prop_assert_eq!(distinct.len(), ok.len());
            proptest::prop_assert!(ok.len() + bad.len() <= text.lines().count());
        }
    }
}
