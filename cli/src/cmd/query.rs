//! QR codes, resolve (with signature verification), explain, inbox, audit.

use super::session::{when, Session};
use crate::cli::QrFormat;
use crate::output::table;
use crate::{Coded, Output};
use anyhow::{Context as _, Result};
use mpkit_bundle::{Context, Role, TrustedRoot};
use mpkit_platform_client::wire;
use serde_json::json;
use std::path::{Path, PathBuf};

pub(crate) fn qrcode(
    app: &str,
    target: &str,
    release: Option<&str>,
    format: Option<QrFormat>,
    out: &Path,
    o: &mut Output<'_>,
) -> Result<()> {
    let format = format.unwrap_or_else(|| match out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => QrFormat::Png,
        _ => QrFormat::Svg,
    });
    let s = Session::open()?;
    let what = match release {
        Some(r) => format!("downloading the trial QR code of release {r}"),
        None => format!("downloading the QR code of {app} in {target}"),
    };
    let bytes = s.call(what, s.client.qr(app, target, format.as_str(), release))?;
    super::bundle::write_atomic(out, &bytes)?;
    o.emit(
        &json!({"ok": true, "out": out, "format": format.as_str(), "bytes": bytes.len(), "release": release}),
        || {
            format!(
                "wrote {} ({}, {} bytes)",
                out.display(),
                format.as_str(),
                bytes.len()
            )
        },
    )?;
    Ok(())
}

/// Checks a signed resolve answer against the root's policy role: a policy
/// key signed exactly these bytes, and the answer is about what was asked.
fn verify(
    roots: &[PathBuf],
    signed: &wire::Signed,
    a: &wire::ResolveAnswer,
    asked: (&str, &str, &str),
) -> Result<String> {
    let bytes = roots
        .iter()
        .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
        .collect::<Result<Vec<_>>>()?;
    let root = TrustedRoot::load_chain(&bytes, time::OffsetDateTime::now_utc())?;
    let bad = |m: String| Coded::err("bad_signature", m);
    let (keys, threshold) = root
        .role(Role::Policy)
        .ok_or_else(|| bad("the root has no policy role".into()))?;
    if threshold > 1 {
        return Err(bad(format!(
            "the root's policy role needs {threshold} signatures; the answer carries one"
        )));
    }
    let key = keys
        .iter()
        .find(|k| k.id().as_str() == signed.key_id)
        .ok_or_else(|| {
            bad(format!(
                "the answer is signed by key {:?}, which is not a policy key of the root",
                signed.key_id
            ))
        })?;
    let sig = hex::decode(&signed.sig).map_err(|_| bad("the signature is not hex".into()))?;
    key.verify(Context::Policy, signed.payload.as_bytes(), &sig)
        .map_err(|e| bad(format!("the answer's signature does not verify: {e}")))?;
    let (app, target, user) = asked;
    for (field, want, got) in [
        ("kind", "resolve", a.kind.as_str()),
        ("appId", app, a.app_id.as_str()),
        ("targetApp", target, a.target_app.as_str()),
        ("user", user, a.user.as_str()),
    ] {
        if want != got {
            return Err(bad(format!(
                "the signed answer is about {field} {got:?}, not {want:?}"
            )));
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if a.expires <= now {
        return Err(bad(format!(
            "the signed answer expired at {}",
            when(a.expires)
        )));
    }
    Ok(key.id().to_string())
}

pub(crate) fn resolve(
    app: &str,
    target: &str,
    user: &str,
    roots: &[PathBuf],
    o: &mut Output<'_>,
) -> Result<()> {
    let s = Session::open()?;
    let signed = s.call(
        format_args!("resolving {app} in {target} for {user}"),
        s.client.resolve(app, target, user),
    )?;
    let a: wire::ResolveAnswer = serde_json::from_str(&signed.payload).map_err(|e| {
        Coded::err(
            "bad_answer",
            format!("the signed payload is not a resolve answer: {e}"),
        )
    })?;
    let verified_by = if roots.is_empty() {
        None
    } else {
        Some(verify(roots, &signed, &a, (app, target, user))?)
    };
    o.emit(
        &json!({
            "answer": a, "verified": verified_by.is_some(), "keyId": signed.key_id,
            "signed": signed,
        }),
        || {
            let mut s = match &a.version {
                Some(v) => format!(
                    "{user} gets {} {} ({} rule); package sha256 {} ({} bytes)",
                    a.app_id, v.version, a.rule, v.sha256, v.length
                ),
                None => format!("{user} gets no version of {} in {}", a.app_id, a.target_app),
            };
            if let Some(b) = a.bucket {
                s.push_str(&format!("\nbucket {b} of the active grayscale"));
            }
            s.push_str(&format!(
                "\npolicy seq {}, expires {}",
                a.seq,
                when(a.expires)
            ));
            match &verified_by {
                Some(k) => s.push_str(&format!("\nverified: signed by policy key {k}")),
                None => s.push_str(&format!(
                    "\nNOT VERIFIED (signed by key {}): pass --root root.json to check it",
                    signed.key_id
                )),
            }
            s
        },
    )?;
    Ok(())
}

pub(crate) fn explain(app: &str, target: &str, user: &str, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    let e = s.call(
        format_args!("explaining {app} in {target} for {user}"),
        s.client.explain(app, target, user),
    )?;
    o.emit(&serde_json::to_value(&e)?, || {
        let v = e
            .version
            .as_ref()
            .map(|v| v.version.clone())
            .unwrap_or_else(|| "no version".into());
        format!(
            "{}: {v} ({} rule, policy seq {})\n{}",
            e.user, e.rule, e.seq, e.why
        )
    })?;
    Ok(())
}

pub(crate) fn inbox(o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    let msgs = s.call("reading your inbox", s.client.inbox())?;
    o.emit(&serde_json::to_value(&msgs)?, || {
        if msgs.is_empty() {
            return "no messages".into();
        }
        let rows: Vec<Vec<String>> = msgs
            .iter()
            .map(|m| {
                vec![
                    when(m.at),
                    m.release.clone().unwrap_or_else(|| "-".into()),
                    m.text.clone(),
                ]
            })
            .collect();
        table(&["AT", "RELEASE", "MESSAGE"], &rows)
    })?;
    Ok(())
}

pub(crate) fn audit(object: Option<&str>, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    let entries = s.call("reading the audit log", s.client.audit(object))?;
    o.emit(&serde_json::to_value(&entries)?, || {
        if entries.is_empty() {
            return "no audit records".into();
        }
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    when(e.at),
                    e.actor.clone(),
                    e.action.clone(),
                    e.object.clone(),
                ]
            })
            .collect();
        table(&["AT", "ACTOR", "ACTION", "OBJECT"], &rows)
    })?;
    Ok(())
}
