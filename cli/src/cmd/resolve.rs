//! `mpkit resolve`: which version a user gets (GET /v1/resolve), with the
//! signed answer verified against a root's policy role.

use crate::error::Coded;
use crate::output::{when, Output};
use crate::session::Session;
use anyhow::{Context as _, Result};
use clap::Args;
use mpkit_bundle::{Context, Role, TrustedRoot};
use mpkit_platform_client::wire;
use serde_json::json;
use std::path::PathBuf;

/// `mpkit resolve`.
#[derive(Debug, Args)]
pub(crate) struct ResolveArgs {
    /// The mini program.
    #[arg(long)]
    app: String,
    /// The target app.
    #[arg(long)]
    target: String,
    /// The user id.
    #[arg(long)]
    user: String,
    /// Verify the signed answer against this root's policy role (further roots are rotations).
    #[arg(long = "root", value_name = "root.json", num_args = 1..)]
    root: Vec<PathBuf>,
}

pub(crate) fn run(args: ResolveArgs, o: &mut Output<'_>) -> Result<()> {
    let (app, target, user, roots) = (
        args.app.as_str(),
        args.target.as_str(),
        args.user.as_str(),
        args.root.as_slice(),
    );
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
                    "{user} gets {} {}; package sha256 {} ({} bytes)",
                    a.app_id, v.version, v.sha256, v.length
                ),
                None => format!("{user} gets no version of {} in {}", a.app_id, a.target_app),
            };
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
