//! `mpkit inspect`: a bundle's manifest and signatures, structure checked
//! and trust NOT checked.

use crate::output::{table, Output};
use anyhow::Result;
use clap::Args;
use mpkit_bundle::{Caps, Manifest};
use serde_json::json;
use std::path::PathBuf;

/// `mpkit inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The bundle.
    bundle: PathBuf,
}

pub(crate) fn run(args: InspectArgs, o: &mut Output<'_>) -> Result<()> {
    let path = &args.bundle;
    let caps = Caps::default();
    let bytes = mpkit_bundle::read_capped(path, caps.max_archive_bytes)?;
    let i = mpkit_bundle::inspect(&bytes, &caps)?;
    let sigs: Vec<_> = i
        .signatures
        .signatures
        .iter()
        .map(|s| json!({"keyId": s.key_id, "role": s.role}))
        .collect();
    o.emit(
        &json!({"verified": false, "archiveBytes": i.archive_bytes, "entries": i.entries, "manifest": i.manifest, "signatures": sigs}),
        || {
            let mut s = describe(&i.manifest);
            s.push_str(&format!("archive:     {} bytes, {} entries\n", i.archive_bytes, i.entries));
            for r in &i.signatures.signatures {
                s.push_str(&format!("signature:   {} ({})\n", r.key_id, r.role));
            }
            s.push_str("NOT VERIFIED: run `mpkit verify` with a trusted key or root.\n");
            s
        },
    )?;
    Ok(())
}

/// A human description of a manifest.
fn describe(m: &Manifest) -> String {
    let mut s = format!(
        "appId:       {}\nname:        {}\nversion:     {} (build {})\nminHost:     {}\npages:       {}\n",
        m.app_id,
        m.name,
        m.version,
        m.build,
        m.min_host_version,
        m.pages.join(", ")
    );
    let p = &m.permissions;
    if !p.jsapi.is_empty() {
        s.push_str(&format!(
            "jsapi:       {}\n",
            p.jsapi.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !p.scopes.is_empty() {
        s.push_str(&format!(
            "scopes:      {}\n",
            p.scopes.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    for (kind, list) in &p.domains {
        s.push_str(&format!("domains:     {kind}: {}\n", list.join(", ")));
    }
    s.push_str(&format!(
        "files:       {} ({} bytes)\n",
        m.limits.file_count, m.limits.unpacked_bytes
    ));
    let rows: Vec<Vec<String>> = m
        .files
        .iter()
        .map(|f| {
            vec![
                f.path.clone(),
                f.size.to_string(),
                f.sha256[..16].to_string(),
            ]
        })
        .collect();
    for line in table(&["path", "bytes", "sha256"], &rows).lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    s
}
