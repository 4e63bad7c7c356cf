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

/// Rejected lines reported in full, at most; the rest are only counted.
pub const MAX_REPORTED: usize = 100;

/// A tester file or list, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// The distinct valid ids, sorted.
    pub ids: Vec<String>,
    /// The first [`MAX_REPORTED`] rejected lines, with their reasons.
    pub rejected: Vec<Rejected>,
    /// Every rejected line, counted (duplicates included).
    pub rejected_total: usize,
    /// Whether it holds more than [`MAX_TESTERS`] valid ids: reading stopped
    /// there, and what was read is incomplete.
    pub too_many: bool,
}

impl Parsed {
    fn reject(&mut self, r: impl FnOnce() -> Rejected) {
        self.rejected_total += 1;
        if self.rejected.len() < MAX_REPORTED {
            self.rejected.push(r());
        }
    }
}

/// Parses a tester file: one user id per line (the first CSV column, quotes
/// trimmed). A `user_id`/`userid` header on the first line, blank lines and
/// `#` comments are skipped. Returns the distinct ids, sorted, and the
/// rejected lines with their reasons (duplicates included): the first
/// [`MAX_REPORTED`] in full, all counted. Memory stays within the ids kept:
/// reading stops past [`MAX_TESTERS`] of them.
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut ok = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let raw = line.trim_start_matches('\u{feff}').trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let id = raw.split(',').next().unwrap_or("").trim().trim_matches('"');
        if i == 0 && (id.eq_ignore_ascii_case("user_id") || id.eq_ignore_ascii_case("userid")) {
            continue;
        }
        let reject = |reason: &str| {
            let reason = String::from(reason);
            move || Rejected {
                line: i + 1,
                text: raw.chars().take(80).collect(),
                reason,
            }
        };
        match check_id(id) {
            Ok(()) if ok.contains(id) => out.reject(reject("duplicate")),
            Ok(()) => {
                if ok.len() == MAX_TESTERS {
                    out.too_many = true;
                    break;
                }
                ok.insert(id.to_owned());
            }
            Err(why) => out.reject(reject(why)),
        }
    }
    out.ids = ok.into_iter().collect();
    out
}

/// Checks a list of tester ids given one by one (a JSON array), element by
/// element: each must be an id as it stands, with nothing trimmed, split or
/// skipped (`"alice\nbob"` is one bad id, not two testers). Returns the
/// distinct ids, sorted, and the rejected elements (a `line` is a position
/// from 1), bounded as [`parse`]'s.
pub fn check_list(ids: &[String]) -> Parsed {
    let mut out = Parsed::default();
    let mut ok = BTreeSet::new();
    for (i, id) in ids.iter().enumerate() {
        let reject = |reason: &str| {
            let reason = String::from(reason);
            move || Rejected {
                line: i + 1,
                text: id.chars().take(80).collect(),
                reason,
            }
        };
        match check_id(id) {
            Ok(()) if ok.contains(id.as_str()) => out.reject(reject("duplicate")),
            Ok(()) => {
                if ok.len() == MAX_TESTERS {
                    out.too_many = true;
                    break;
                }
                ok.insert(id.clone());
            }
            Err(why) => out.reject(reject(why)),
        }
    }
    out.ids = ok.into_iter().collect();
    out
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
        let Parsed {
            ids: ok,
            rejected: bad,
            rejected_total,
            too_many,
        } = check_list(&list);
        assert_eq!(ok, ["u-1", "user_id"]);
        assert_eq!((rejected_total, too_many), (6, false));
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
        let Parsed {
            ids: ok,
            rejected: bad,
            ..
        } = parse("user_id\nu-1\n\n# comment\nu-2,extra\nu 3\nu-1\n\"u-4\"\nuserid\n");
        // A header is skipped on the first line only; later, "userid" is an id.
        assert_eq!(ok, ["u-1", "u-2", "u-4", "userid"]);
        let lines: Vec<(usize, &str)> = bad.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(
            lines,
            [(6, "characters outside [A-Za-z0-9_.@+-]"), (7, "duplicate")]
        );
    }

    /// A hostile file (issue 22, item 7): two million bad lines report the
    /// first 100 and a count; more valid ids than a pilot takes stop the
    /// reading there.
    #[test]
    fn a_huge_file_reports_a_bounded_list() {
        let bad = "!\n".repeat(2_000_000);
        let p = parse(&bad);
        assert_eq!(
            (p.ids.len(), p.rejected.len(), p.rejected_total),
            (0, MAX_REPORTED, 2_000_000)
        );
        assert_eq!(p.rejected[99].line, 100);
        let many: String = (0..MAX_TESTERS + 5).map(|i| format!("u-{i}\n")).collect();
        let p = parse(&many);
        assert!(p.too_many);
        assert_eq!(p.ids.len(), MAX_TESTERS);
        let list: Vec<String> = (0..MAX_TESTERS + 1).map(|i| format!("u-{i}")).collect();
        assert!(check_list(&list).too_many);
    }

    proptest::proptest! {
        /// Whatever the file, every accepted id passes the id check, ids are
        /// distinct, and every line is accounted for at most once.
        #[test]
        fn accepted_ids_are_valid(text in "\\PC{0,400}") {
            let Parsed { ids: ok, rejected: bad, rejected_total, .. } = parse(&text);
            for id in &ok {
                proptest::prop_assert!(check_id(id).is_ok());
            }
            let distinct: BTreeSet<&String> = ok.iter().collect();
            proptest::prop_assert_eq!(distinct.len(), ok.len());
            proptest::prop_assert!(bad.len() <= MAX_REPORTED && bad.len() <= rejected_total);
            proptest::prop_assert!(ok.len() + rejected_total <= text.lines().count());
        }
    }
}
