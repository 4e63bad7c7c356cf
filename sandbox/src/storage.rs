//! Storage and file policy: keys, quotas, and the per-app virtual file system's paths.

use crate::error::Denied;

/// Storage limits for one (host user, appId) space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageQuota {
    /// Total bytes of keys and values (default 10 MB).
    pub per_app: u64,
    /// Bytes of one value (default 200 KB).
    pub per_key: u64,
}

impl Default for StorageQuota {
    fn default() -> StorageQuota {
        StorageQuota {
            per_app: 10 * 1024 * 1024,
            per_key: 200 * 1024,
        }
    }
}

/// Longest storage key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// Checks a storage key: non-empty, at most 256 bytes, no control characters.
/// Keys are data, never paths, but hostile ones are still refused early.
pub fn check_key(key: &str) -> Result<(), Denied> {
    if key.is_empty() {
        return Err(Denied::BadKey("empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Denied::BadKey("longer than 256 bytes"));
    }
    if key.chars().any(char::is_control) {
        return Err(Denied::BadKey("NUL or control character"));
    }
    Ok(())
}

impl StorageQuota {
    /// Whether writing `new_value` bytes under `key` (replacing `old_value` bytes,
    /// if the key exists) keeps the space within its quota, given its current
    /// `used` bytes (keys plus values). Returns the new total.
    pub fn check_write(
        &self,
        key: &str,
        old_value: Option<u64>,
        new_value: u64,
        used: u64,
    ) -> Result<u64, Denied> {
        check_key(key)?;
        if new_value > self.per_key {
            return Err(Denied::Quota {
                what: "the value",
                size: new_value,
                limit: self.per_key,
            });
        }
        let key_len = key.len() as u64;
        let freed = old_value.map_or(0, |v| v + key_len);
        let total = used
            .saturating_sub(freed)
            .saturating_add(key_len + new_value);
        if total > self.per_app {
            return Err(Denied::Quota {
                what: "the app's storage",
                size: total,
                limit: self.per_app,
            });
        }
        Ok(total)
    }
}

/// The URL scheme of the per-app virtual file system.
pub const FILE_SCHEME: &str = "mpkitfile://";

/// Normalises a virtual file path (`mpkitfile://usr/a/b.txt`, `usr/a/b.txt`) to
/// the components under the app's `usr` root. `.` is dropped; `..` that would
/// leave the root, absolute forms, backslashes, NUL and over-long paths are refused.
pub fn normalize_user_path(path: &str) -> Result<Vec<String>, Denied> {
    let bad = |reason| Denied::BadPath {
        path: path.to_owned(),
        reason,
    };
    if path.len() > 1024 {
        return Err(bad("longer than 1024 bytes"));
    }
    if path.chars().any(char::is_control) {
        return Err(bad("NUL or control character"));
    }
    if path.contains('\\') {
        return Err(bad("backslash"));
    }
    let rest = path.strip_prefix(FILE_SCHEME).unwrap_or(path);
    let rest = rest
        .strip_prefix("usr/")
        .or_else(|| (rest == "usr").then_some(""))
        .ok_or_else(|| bad("files live under mpkitfile://usr/"))?;
    let mut out: Vec<String> = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Err(bad("leaves the app's file space"));
                }
            }
            p if p.contains(':') => return Err(bad("colon in a name")),
            p => out.push(p.to_owned()),
        }
    }
    if out.len() > 32 {
        return Err(bad("more than 32 components"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(check_key("cart"), Ok(()));
        assert_eq!(check_key(""), Err(Denied::BadKey("empty")));
        assert_eq!(
            check_key("a\0b"),
            Err(Denied::BadKey("NUL or control character"))
        );
        assert_eq!(
            check_key(&"k".repeat(1024 * 1024)),
            Err(Denied::BadKey("longer than 256 bytes"))
        );
        // Path-looking keys are just keys: they never touch a file name.
        assert_eq!(check_key("../../etc/passwd"), Ok(()));
    }

    #[test]
    fn quotas() {
        let q = StorageQuota::default();
        assert_eq!(q.check_write("k", None, 10, 0), Ok(11));
        assert_eq!(q.check_write("k", Some(10), 5, 11), Ok(6));
        assert_eq!(
            q.check_write("k", None, 300 * 1024, 0),
            Err(Denied::Quota {
                what: "the value",
                size: 300 * 1024,
                limit: 200 * 1024
            })
        );
        let used = q.per_app - 5;
        assert!(matches!(
            q.check_write("key", None, 10, used),
            Err(Denied::Quota {
                what: "the app's storage",
                ..
            })
        ));
        // Replacing a value frees the old one first.
        assert!(q.check_write("key", Some(10), 10, used).is_ok());
    }

    #[test]
    fn paths() {
        assert_eq!(
            normalize_user_path("mpkitfile://usr/a/./b.txt"),
            Ok(vec!["a".to_string(), "b.txt".to_string()])
        );
        assert_eq!(normalize_user_path("usr/a/../b"), Ok(vec!["b".to_string()]));
        for (p, reason) in [
            ("mpkitfile://usr/../x", "leaves the app's file space"),
            ("mpkitfile://usr/a/../../x", "leaves the app's file space"),
            ("/etc/passwd", "files live under mpkitfile://usr/"),
            ("mpkitfile://other/x", "files live under mpkitfile://usr/"),
            ("usr/a\\..\\..\\x", "backslash"),
            ("usr/a\0b", "NUL or control character"),
            ("usr/C:x", "colon in a name"),
        ] {
            assert_eq!(
                normalize_user_path(p),
                Err(Denied::BadPath {
                    path: p.into(),
                    reason
                }),
                "{p}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn normalized_paths_never_escape(p in "(mpkitfile://)?usr/[a-z./]{0,30}") {
            if let Ok(parts) = normalize_user_path(&p) {
                proptest::prop_assert!(parts.iter().all(|c| c != ".." && c != "." && !c.is_empty() && !c.contains('/')));
            }
        }
    }
}
