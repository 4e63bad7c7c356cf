//! `cargo xtask tidy`: the rules ARCHITECTURE.md states, checked.
//!
//! - `graph`: the crate graph, from `cargo metadata` (`graph.rs`).
//! - `host-api`: no `mpkit_host::<module>::` path outside `host/`, and
//!   `mpkit_host::internals` only in `xtask/` and `host/tests/` (`paths.rs`).
//! - `size`: no source file over 800 lines outside tests unless its first
//!   comment says why (`size.rs`).
//! - `circles`: no import circle between the files of a crate (`circles.rs`).
//!
//! Each problem is printed as `FILE: [RULE] what is wrong`, and the command
//! fails when there is one.

mod circles;
mod graph;
mod paths;
mod size;
mod source;

use anyhow::{bail, Context as _, Result};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Problem {
    /// The file, relative to the workspace root.
    pub(crate) file: String,
    /// The rule's name: `graph`, `host-api`, `size` or `circles`.
    pub(crate) rule: &'static str,
    /// What is wrong, and what to do.
    pub(crate) message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: [{}] {}", self.file, self.rule, self.message)
    }
}

/// Checks the workspace that contains this crate; prints each problem.
pub(crate) fn run() -> Result<()> {
    let metadata = metadata()?;
    let root = PathBuf::from(
        metadata["workspace_root"]
            .as_str()
            .context("cargo metadata names no workspace root")?,
    );
    let mut problems = graph::check(&metadata, &root)?;
    let files = source::rust_files(&root)?;
    let mut deep = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(root.join(f))
            .with_context(|| format!("reading {}", f.display()))?;
        let rel = source::slash(f);
        deep.extend(paths::check(&rel, &text));
        problems.extend(size::check(&rel, &text));
    }
    let gone = paths::apply_known(&mut deep, paths::KNOWN_DEEP);
    problems.extend(deep.into_iter().chain(gone));
    problems.extend(circles::check(&metadata, &root)?);
    problems.sort();
    for p in &problems {
        println!("{p}");
    }
    if !problems.is_empty() {
        bail!(
            "{} problem(s); the rules are in ARCHITECTURE.md and xtask/src/tidy/",
            problems.len()
        );
    }
    println!(
        "tidy: the crate graph, host's API boundary, {} source files' sizes and every crate's imports are as ARCHITECTURE.md says",
        files.len()
    );
    Ok(())
}

/// `cargo metadata` of this workspace, without dependencies' own packages.
fn metadata() -> Result<serde_json::Value> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout).context("reading cargo metadata's answer")
}
