//! `mpkit root init` and `mpkit root rotate`: trust roots.

use crate::files::write_atomic;
use crate::output::Output;
use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand};
use mpkit_bundle::{PublicKey, Role, RootSpec, SecretKey, TrustedRoot};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// `mpkit root`.
#[derive(Debug, Args)]
pub(crate) struct RootArgs {
    #[command(subcommand)]
    command: RootCommand,
}

#[derive(Debug, Subcommand)]
enum RootCommand {
    /// Create root.json and fresh keys for the root, publisher and policy roles.
    Init(InitArgs),
    /// Write root N+1, signed by a threshold of root N's keys and of its own.
    Rotate(Rotation),
}

#[derive(Debug, Args)]
struct InitArgs {
    /// Directory for root.json and keys/ (must not hold a root.json yet).
    #[arg(long)]
    out_dir: PathBuf,
    /// Days until the root expires.
    #[arg(long, default_value_t = 365)]
    expires_days: i64,
    /// Number of root keys.
    #[arg(long, default_value_t = 1)]
    root_keys: u32,
    /// Root signatures required.
    #[arg(long, default_value_t = 1)]
    root_threshold: u32,
}

pub(crate) fn run(args: RootArgs, o: &mut Output<'_>) -> Result<()> {
    match args.command {
        RootCommand::Init(a) => init(&a.out_dir, a.expires_days, a.root_keys, a.root_threshold, o),
        RootCommand::Rotate(r) => rotate(&r, o),
    }
}

fn init(
    out_dir: &Path,
    expires_days: i64,
    root_keys: u32,
    root_threshold: u32,
    o: &mut Output<'_>,
) -> Result<()> {
    if root_keys == 0 || root_threshold == 0 || root_threshold > root_keys {
        bail!("--root-threshold must be between 1 and --root-keys ({root_keys})");
    }
    if expires_days <= 0 {
        bail!("--expires-days must be positive");
    }
    let root_path = out_dir.join("root.json");
    if root_path.exists() {
        bail!(
            "{} already exists; use `mpkit root rotate` to change a root",
            root_path.display()
        );
    }
    let keys_dir = out_dir.join("keys");
    std::fs::create_dir_all(&keys_dir)
        .with_context(|| format!("creating {}", keys_dir.display()))?;
    let mut made: Vec<(String, SecretKey)> = Vec::new();
    for i in 1..=root_keys {
        made.push((format!("root-{i}"), SecretKey::generate()?));
    }
    made.push(("publisher-1".into(), SecretKey::generate()?));
    made.push(("policy-1".into(), SecretKey::generate()?));
    for (name, k) in &made {
        k.write_pair(&keys_dir.join(format!("{name}.key")))?;
    }
    let pubs = |prefix: &str| -> Vec<PublicKey> {
        made.iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .map(|(_, k)| k.public().clone())
            .collect()
    };
    let spec = RootSpec {
        version: 1,
        expires: OffsetDateTime::now_utc() + Duration::days(expires_days),
        roles: BTreeMap::from([
            (Role::Root, (pubs("root-"), root_threshold)),
            (Role::Publisher, (pubs("publisher-"), 1)),
            (Role::Policy, (pubs("policy-"), 1)),
        ]),
    };
    let signers: Vec<&SecretKey> = made
        .iter()
        .filter(|(n, _)| n.starts_with("root-"))
        .map(|(_, k)| k)
        .collect();
    let bytes = spec.sign(&signers)?;
    write_atomic(&root_path, &bytes)?;
    let keys: Vec<_> = made
        .iter()
        .map(|(n, k)| json!({"name": n, "keyId": k.public().id(), "private": keys_dir.join(format!("{n}.key"))}))
        .collect();
    o.emit(
        &json!({"root": root_path, "version": 1, "keys": keys}),
        || {
            let mut s = format!(
                "wrote {} (version 1, expires in {expires_days} days)\n",
                root_path.display()
            );
            for (n, k) in &made {
                s.push_str(&format!(
                    "  {n:<12} {}  {}\n",
                    k.public().id(),
                    keys_dir.join(format!("{n}.key")).display()
                ));
            }
            s.push_str("Keep the root keys offline; the host ships root.json.\n");
            s
        },
    )?;
    Ok(())
}

#[derive(Debug, Args)]
struct Rotation {
    /// The current root.json.
    #[arg(long)]
    root: PathBuf,
    /// Private keys of the current root role (repeat for a threshold).
    #[arg(long = "sign-key", required = true)]
    sign_keys: Vec<PathBuf>,
    /// Private keys that become the new root role (repeat); default: unchanged.
    #[arg(long = "new-root-key")]
    new_root_keys: Vec<PathBuf>,
    /// Root threshold of the new root; default: unchanged, or 1 with new keys.
    #[arg(long)]
    root_threshold: Option<u32>,
    /// Public keys that become the publisher role (repeat); default: unchanged.
    #[arg(long = "publisher-key")]
    publisher_keys: Vec<PathBuf>,
    /// Public keys that become the policy role (repeat); default: unchanged.
    #[arg(long = "policy-key")]
    policy_keys: Vec<PathBuf>,
    /// Days until the new root expires.
    #[arg(long, default_value_t = 365)]
    expires_days: i64,
    /// Where to write the new root.
    #[arg(long)]
    out: PathBuf,
}

fn rotate(r: &Rotation, o: &mut Output<'_>) -> Result<()> {
    let current_bytes =
        std::fs::read(&r.root).with_context(|| format!("reading {}", r.root.display()))?;
    let current = TrustedRoot::load_for_rotation(&current_bytes)?;
    let old: Vec<SecretKey> = r
        .sign_keys
        .iter()
        .map(|p| SecretKey::read(p))
        .collect::<Result<_, _>>()?;
    let new_root: Vec<SecretKey> = r
        .new_root_keys
        .iter()
        .map(|p| SecretKey::read(p))
        .collect::<Result<_, _>>()?;
    let read_pubs = |paths: &[PathBuf]| -> Result<Vec<PublicKey>> {
        paths
            .iter()
            .map(|p| PublicKey::read(p).map_err(Into::into))
            .collect()
    };
    let mut spec = RootSpec::from_trusted(&current);
    spec.version = current.version() + 1;
    spec.expires = OffsetDateTime::now_utc() + Duration::days(r.expires_days);
    if !new_root.is_empty() {
        let threshold = r.root_threshold.unwrap_or(1);
        spec.roles.insert(
            Role::Root,
            (
                new_root.iter().map(|k| k.public().clone()).collect(),
                threshold,
            ),
        );
    } else if let Some(t) = r.root_threshold {
        if let Some(entry) = spec.roles.get_mut(&Role::Root) {
            entry.1 = t;
        }
    }
    if !r.publisher_keys.is_empty() {
        spec.roles
            .insert(Role::Publisher, (read_pubs(&r.publisher_keys)?, 1));
    }
    if !r.policy_keys.is_empty() {
        spec.roles
            .insert(Role::Policy, (read_pubs(&r.policy_keys)?, 1));
    }
    let mut signers: Vec<&SecretKey> = old.iter().collect();
    signers.extend(new_root.iter());
    let bytes = spec.sign(&signers)?;
    // Refuse to write a rotation that hosts would refuse.
    current
        .rotate(&bytes, OffsetDateTime::now_utc())
        .context("the new root would not be accepted by hosts trusting the current one")?;
    write_atomic(&r.out, &bytes)?;
    let v = spec.version;
    o.emit(&json!({"root": r.out, "version": v}), || {
        format!(
            "wrote {} (version {v}), signed by {} old and {} new root keys",
            r.out.display(),
            old.len(),
            new_root.len()
        )
    })?;
    Ok(())
}
