//! Entry-name rules shared by the packer, the manifest and the zip reader.
//!
//! A name is a relative, `/`-separated UTF-8 path that cannot leave the install
//! directory on any platform a host runs on.

use crate::error::PathIssue;
use unicode_normalization::UnicodeNormalization;

/// Deepest path a bundle may hold.
pub const MAX_COMPONENTS: usize = 32;
/// Longest name a bundle may hold, in bytes.
pub const MAX_NAME_BYTES: usize = 512;

/// Names Windows reserves as devices, whatever the extension.
const WINDOWS_DEVICES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks raw name bytes from an archive and returns the name as text.
pub(crate) fn check_raw(raw: &[u8]) -> Result<&str, PathIssue> {
    let name = std::str::from_utf8(raw).map_err(|_| PathIssue::NotUtf8)?;
    check(name)?;
    Ok(name)
}

/// Checks a name against every rule.
pub fn check(name: &str) -> Result<(), PathIssue> {
    if name.is_empty() {
        return Err(PathIssue::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(PathIssue::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(PathIssue::ControlChar);
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err(PathIssue::Absolute);
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err(PathIssue::DrivePrefix);
    }
    if name.contains('\\') {
        return Err(PathIssue::Backslash);
    }
    let mut depth = 0;
    for part in name.split('/') {
        depth += 1;
        if depth > MAX_COMPONENTS {
            return Err(PathIssue::TooDeep);
        }
        if part.is_empty() {
            return Err(PathIssue::Empty);
        }
        if part == "." || part == ".." {
            return Err(PathIssue::DotComponent);
        }
        if part.contains(':') || part.ends_with('.') || part.ends_with(' ') {
            return Err(PathIssue::Reserved);
        }
        let stem = part.split('.').next().unwrap_or(part).to_ascii_lowercase();
        if WINDOWS_DEVICES.contains(&stem.as_str()) {
            return Err(PathIssue::Reserved);
        }
    }
    Ok(())
}

/// The key under which two names collide on a case-insensitive or
/// normalising file system (macOS, Windows): NFC, then lowercase, then NFC again.
pub(crate) fn fold(name: &str) -> String {
    let lower: String = name.nfc().collect::<String>().to_lowercase();
    lower.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_name(name: &str, expected: Result<(), PathIssue>) {
        assert_eq!(check(name), expected, "name {name:?}");
    }

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "app.js",
            "pages/index/index.axml",
            "assets/é.png",
            "a/b.c.d",
            "..a/b",
        ] {
            check_name(name, Ok(()));
        }
    }

    #[test]
    fn refuses_tricks() {
        check_name("", Err(PathIssue::Empty));
        check_name("../x", Err(PathIssue::DotComponent));
        check_name("a/../../x", Err(PathIssue::DotComponent));
        check_name("a/./x", Err(PathIssue::DotComponent));
        check_name("..\\x", Err(PathIssue::Backslash));
        check_name("/x", Err(PathIssue::Absolute));
        check_name("\\\\srv\\x", Err(PathIssue::Absolute));
        check_name("C:\\x", Err(PathIssue::DrivePrefix));
        check_name("C:x", Err(PathIssue::DrivePrefix));
        check_name("a\0b", Err(PathIssue::ControlChar));
        check_name("a//b", Err(PathIssue::Empty));
        check_name("dir/", Err(PathIssue::Empty));
        check_name("aux.js", Err(PathIssue::Reserved));
        check_name("a/b.", Err(PathIssue::Reserved));
        check_name("ab:stream", Err(PathIssue::Reserved));
        check_name("a/".repeat(32).trim_end_matches('/'), Ok(()));
        check_name(
            "a/".repeat(33).trim_end_matches('/'),
            Err(PathIssue::TooDeep),
        );
        check_name(&"a".repeat(513), Err(PathIssue::TooLong));
    }

    #[test]
    fn raw_names_must_be_utf8() {
        assert_eq!(check_raw(b"a\xffb"), Err(PathIssue::NotUtf8));
    }

    #[test]
    fn folding_catches_case_and_normalisation() {
        assert_eq!(fold("A.js"), fold("a.js"));
        assert_eq!(fold("caf\u{e9}.js"), fold("cafe\u{301}.js"));
        assert_ne!(fold("a.js"), fold("b.js"));
    }

    proptest::proptest! {
        #[test]
        fn accepted_names_stay_inside(name in "[a-zA-Z0-9._/\\\\:-]{1,40}") {
            if check(&name).is_ok() {
                let joined = std::path::Path::new("/root").join(&name);
                for c in joined.components() {
                    proptest::prop_assert!(!matches!(c, std::path::Component::ParentDir));
                }
                proptest::prop_assert!(joined.starts_with("/root"));
                proptest::prop_assert!(!name.split('/').any(|p| p == ".." || p.is_empty()));
            }
        }
    }
}
