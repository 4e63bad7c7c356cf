//! # mpkit-sample-app
//!
//! The samples that show mpkit as an integrator and a merchant would use it:
//! the Coffee Club mini program (in `miniprogram/`) and, with the sample wallet
//! issue, a wallet that embeds `mpkit-host`.
//!
//! **Invariant**: the samples use only public APIs of the other crates, exactly
//! as an outside integrator would.

use std::path::PathBuf;

/// The Coffee Club mini program's source directory.
pub fn miniprogram_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("miniprogram")
}

#[cfg(test)]
mod tests {
    #[test]
    fn coffee_club_has_an_app_json_naming_its_pages() {
        let dir = super::miniprogram_dir();
        let text = std::fs::read_to_string(dir.join("app.json")).expect("app.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let pages = v["pages"].as_array().expect("pages");
        assert!(!pages.is_empty());
        for p in pages {
            let p = p.as_str().expect("page path");
            assert!(dir.join(format!("{p}.axml")).is_file(), "{p}.axml");
            assert!(dir.join(format!("{p}.js")).is_file(), "{p}.js");
        }
    }
}
