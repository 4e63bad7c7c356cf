//! `cargo xtask bench install`: verify + install against `unzip -q` and `sha256sum`
//! of the same archive, in the same run, reporting ratios of medians.

use crate::report::Output;
use crate::report::{progress, table};
use anyhow::{bail, Context as _, Result};
use clap::Args;
use mpkit_bundle::{
    Caps, Expected, FileEntry, Manifest, Permissions, Role, RootSpec, SecretKey, Store, Trust,
    TrustedRoot,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use std::process::Command;
use std::time::{Duration, Instant};

/// Deterministic, JS-like text so compression behaves like a real bundle.
fn content(seed: u64, len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "function",
        "return",
        "const",
        "this.setData",
        "my.request",
        "onTap",
        "data",
        "item",
        "price",
        "Page",
        "{",
        "}",
        "(",
        ")",
        ";",
        "=>",
        "view",
        "class",
        "if",
        "else",
        "await",
        "cart",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x.is_multiple_of(5) {
            out.extend_from_slice(format!("v{:x} ", x % 4096).as_bytes());
        } else {
            out.extend_from_slice(WORDS[(x % WORDS.len() as u64) as usize].as_bytes());
            out.push(if x.is_multiple_of(11) { b'\n' } else { b' ' });
        }
    }
    out.truncate(len);
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_cmd(cmd: &mut Command) -> Result<Duration> {
    let t = Instant::now();
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    let d = t.elapsed();
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(d)
}

/// `cargo xtask bench install`.
#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// Measured runs of each contender (the median is reported).
    #[arg(long, default_value_t = 15)]
    runs: u32,
    /// Number of files in the generated bundle.
    #[arg(long, default_value_t = 300)]
    files: u32,
    /// Total unpacked size of the generated bundle, in bytes.
    #[arg(long, default_value_t = 2 * 1024 * 1024)]
    bytes: u64,
}

pub(crate) fn run(args: InstallArgs, o: &mut Output) -> Result<()> {
    let InstallArgs { runs, files, bytes } = args;
    if runs == 0 || files < 2 {
        bail!("--runs must be at least 1 and --files at least 2");
    }
    // The peer and the floor it is measured against.
    let tools = super::tools::require("install", &[super::tools::UNZIP, super::tools::SHA256SUM])?;
    let (unzip_exe, sha256sum_exe) = (&tools[0], &tools[1]);
    let work = tempfile::tempdir()?;
    let per_file = (bytes / u64::from(files)) as usize;
    let mut contents = Vec::new();
    contents.push(("pages/index/index.axml".to_string(), content(0, per_file)));
    for i in 1..files {
        contents.push((
            format!("pages/p{:02}/f{i:03}.js", i % 40),
            content(u64::from(i), per_file),
        ));
    }
    let entries: Vec<FileEntry> = contents
        .iter()
        .map(|(p, d)| FileEntry {
            path: p.clone(),
            size: d.len() as u64,
            sha256: hex::encode(Sha256::digest(d)),
        })
        .collect();
    let root_key = SecretKey::generate()?;
    let publisher = SecretKey::generate()?;
    let policy = SecretKey::generate()?;
    let spec = RootSpec {
        version: 1,
        expires: time::OffsetDateTime::now_utc() + time::Duration::days(1),
        roles: BTreeMap::from([
            (Role::Root, (vec![root_key.public().clone()], 1)),
            (Role::Publisher, (vec![publisher.public().clone()], 1)),
            (Role::Policy, (vec![policy.public().clone()], 1)),
        ]),
    };
    let trust = Trust::Root(TrustedRoot::load(
        &spec.sign(&[&root_key])?,
        time::OffsetDateTime::now_utc(),
    )?);
    let manifest = Manifest::new(
        mpkit_bundle::AppId::new("bench.app")?,
        semver::Version::new(1, 0, 0),
        1,
        "Bench".into(),
        semver::Version::new(0, 1, 0),
        vec!["pages/index/index".into()],
        Permissions::default(),
        entries,
    )?;
    let archive =
        mpkit_bundle::build_bundle(&manifest, &contents, &[(&publisher, Role::Publisher)])?;
    let archive_path = work.path().join("bench.mpk");
    std::fs::write(&archive_path, &archive)?;

    let mut ours = Vec::new();
    let mut verify_only = Vec::new();
    let mut unzip = Vec::new();
    let mut sha = Vec::new();
    let pb = progress(u64::from(runs) + 1, "benchmark");
    // One warm-up round, then measured rounds, interleaved so noise hits all alike.
    for run in 0..=runs {
        let store_dir = work.path().join(format!("store{run}"));
        let t = Instant::now();
        let store = Store::open(&store_dir)?;
        store.install_file(&archive_path, &trust, &Expected::any(), &Caps::default())?;
        let d_ours = t.elapsed();

        let t = Instant::now();
        let data = mpkit_bundle::read_capped(&archive_path, Caps::default().max_archive_bytes)?;
        mpkit_bundle::open(&data, &trust, &Expected::any(), &Caps::default())?.check_contents()?;
        let d_verify = t.elapsed();

        let out_dir = work.path().join(format!("unzip{run}"));
        let d_unzip = time_cmd(
            Command::new(unzip_exe)
                .arg("-q")
                .arg(&archive_path)
                .arg("-d")
                .arg(&out_dir),
        )?;
        let d_sha = time_cmd(
            Command::new(sha256sum_exe)
                .arg(&archive_path)
                .stdout(std::process::Stdio::null()),
        )?;
        std::fs::remove_dir_all(&store_dir)?;
        std::fs::remove_dir_all(&out_dir)?;
        if run > 0 {
            ours.push(d_ours);
            verify_only.push(d_verify);
            unzip.push(d_unzip);
            sha.push(d_sha);
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let (m_ours, m_verify, m_unzip, m_sha) = (
        median(ours),
        median(verify_only),
        median(unzip),
        median(sha),
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ratio = ms(m_ours) / ms(m_unzip);
    let value = json!({
        "archiveBytes": archive.len(),
        "files": files,
        "unpackedBytes": manifest.limits.unpacked_bytes,
        "runs": runs,
        "medianMs": {
            "verifyInstall": ms(m_ours),
            "verifyOnly": ms(m_verify),
            "unzip": ms(m_unzip),
            "sha256sum": ms(m_sha),
        },
        "ratioVerifyInstallToUnzip": ratio,
        "ratioVerifyOnlyToUnzip": ms(m_verify) / ms(m_unzip),
        "ratioVerifyInstallToSha256sum": ms(m_ours) / ms(m_sha),
        "goal": 1.5,
        "meetsGoal": ratio <= 1.5,
    });
    o.emit(&value, || {
        let rows = vec![
            vec!["mpkit verify + install (fsync)".into(), format!("{:.2}", ms(m_ours)), format!("{ratio:.2}x")],
            vec!["mpkit verify only (in memory)".into(), format!("{:.2}", ms(m_verify)), format!("{:.2}x", ms(m_verify) / ms(m_unzip))],
            vec!["unzip -q (peer)".into(), format!("{:.2}", ms(m_unzip)), "1.00x".into()],
            vec!["sha256sum (floor)".into(), format!("{:.2}", ms(m_sha)), format!("{:.2}x", ms(m_sha) / ms(m_unzip))],
        ];
        format!(
            "bundle: {} files, {} bytes unpacked, {} bytes packed; median of {runs} runs\n{}goal: verify + install within 1.5x of unzip -q: {}",
            files,
            manifest.limits.unpacked_bytes,
            archive.len(),
            table(&["contender", "median ms", "vs unzip"], &rows),
            if ratio <= 1.5 { "met" } else { "NOT met" }
        )
    })?;
    Ok(())
}
