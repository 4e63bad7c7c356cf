//! keygen, pack, verify, inspect, install.

use super::load_trust;
use crate::cli::{SignRole, TrustArgs};
use crate::output::{progress, spinner, table};
use crate::Output;
use anyhow::{Context as _, Result};
use mpkit_bundle::{AppId, Caps, Expected, Manifest, PackOptions, Role, SecretKey, Store};
use serde_json::json;
use std::path::Path;

pub(crate) fn keygen(out: &Path, o: &mut Output<'_>) -> Result<()> {
    let key = SecretKey::generate()?;
    let pub_path = key.write_pair(out)?;
    let id = key.public().id().to_string();
    o.emit(
        &json!({"keyId": id, "private": out, "public": pub_path}),
        || {
            format!(
                "keyId {id}\nprivate key: {} (mode 0600)\npublic key:  {}",
                out.display(),
                pub_path.display()
            )
        },
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn pack(
    dir: &Path,
    key: &Path,
    out: &Path,
    version: Option<semver::Version>,
    build: Option<u64>,
    role: SignRole,
    o: &mut Output<'_>,
) -> Result<()> {
    let key = SecretKey::read(key)?;
    let pb = spinner("packing");
    let opts = PackOptions {
        version,
        build,
        role: match role {
            SignRole::Developer => Role::Developer,
            SignRole::Publisher => Role::Publisher,
        },
        ..PackOptions::default()
    };
    let (m, bytes) = mpkit_bundle::pack_dir(dir, &key, &opts)?;
    pb.finish_and_clear();
    write_atomic(out, &bytes)?;
    o.emit(
        &json!({
            "appId": m.app_id, "version": m.version.to_string(), "build": m.build,
            "files": m.files.len(), "unpackedBytes": m.limits.unpacked_bytes,
            "bundleBytes": bytes.len(), "keyId": key.public().id(), "out": out,
        }),
        || {
            format!(
                "packed {} {} (build {}): {} files, {} bytes unpacked, {} bytes packed\nsigned by {} as {}\nwrote {}",
                m.app_id,
                m.version,
                m.build,
                m.files.len(),
                m.limits.unpacked_bytes,
                bytes.len(),
                key.public().id(),
                opts.role,
                out.display()
            )
        },
    )?;
    Ok(())
}

fn expected(app_id: Option<String>, version: Option<semver::Version>) -> Result<Expected> {
    let mut e = match app_id {
        Some(a) => Expected::app(AppId::new(a)?),
        None => Expected::any(),
    };
    if let Some(v) = version {
        e = e.version(v);
    }
    Ok(e)
}

pub(crate) fn verify(
    path: &Path,
    trust: &TrustArgs,
    app_id: Option<String>,
    version: Option<semver::Version>,
    o: &mut Output<'_>,
) -> Result<()> {
    let trust = load_trust(trust)?;
    let caps = Caps::default();
    let bytes = mpkit_bundle::read_capped(path, caps.max_archive_bytes)?;
    let expected = expected(app_id, version)?;
    let bundle = mpkit_bundle::open(&bytes, &trust, &expected, &caps)?;
    let pb = progress(bundle.manifest().files.len() as u64, "verifying");
    bundle.check_contents()?;
    pb.finish_and_clear();
    let m = bundle.manifest();
    let signers: Vec<String> = bundle.signers().iter().map(|k| k.to_string()).collect();
    o.emit(
        &json!({"ok": true, "appId": m.app_id, "version": m.version.to_string(), "build": m.build, "signers": signers, "files": m.files.len()}),
        || format!("OK {} {} (build {}), {} files, signed by {}", m.app_id, m.version, m.build, m.files.len(), signers.join(", ")),
    )?;
    Ok(())
}

pub(crate) fn inspect(path: &Path, o: &mut Output<'_>) -> Result<()> {
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

pub(crate) fn install(
    path: &Path,
    store: &Path,
    trust: &TrustArgs,
    app_id: Option<String>,
    version: Option<semver::Version>,
    o: &mut Output<'_>,
) -> Result<()> {
    let trust = load_trust(trust)?;
    let store = Store::open(store)?;
    let pb = spinner("installing");
    let done = store.install_file(path, &trust, &expected(app_id, version)?, &Caps::default())?;
    pb.finish_and_clear();
    let m = &done.manifest;
    let previous = done.previous.as_ref().map(ToString::to_string);
    o.emit(
        &json!({
            "ok": true, "appId": m.app_id, "version": m.version.to_string(), "path": done.path,
            "previous": previous, "alreadyPresent": done.already_present,
        }),
        || {
            let how = if done.already_present {
                "already installed; now current"
            } else {
                "installed"
            };
            let prev = previous
                .map(|p| format!(" (last good version kept: {p})"))
                .unwrap_or_default();
            format!(
                "{how} {} {} at {}{prev}",
                m.app_id,
                m.version,
                done.path.display()
            )
        },
    )?;
    Ok(())
}

/// A human description of a manifest.
pub(crate) fn describe(m: &Manifest) -> String {
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

/// Writes through a temporary file and a rename, so a reader never sees half a bundle.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
