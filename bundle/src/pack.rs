//! Building and signing bundles.

use crate::error::{Error, Result};
use crate::keys::{Context, SecretKey};
use crate::manifest::{FileEntry, Manifest, MANIFEST_PATH, SIGNATURES_PATH};
use crate::project::{IdentityFlags, IdentitySource, Project};
use crate::trust::{Role, SignatureFile, SignatureRecord};
use crate::typescript;
use crate::verify::Caps;
use crate::zip::{Method, RawEntry, Writer};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Overrides for [`pack_dir`].
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// Version to stamp instead of the project's.
    pub version: Option<semver::Version>,
    /// Build number instead of the project's or the one derived from the version.
    pub build: Option<u64>,
    /// App id instead of the project's (`mpkit pack --app-id`).
    pub app_id: Option<String>,
    /// Display name instead of the project's.
    pub name: Option<String>,
    /// A development run: with no app id anywhere, one is derived from the folder.
    pub development: bool,
    /// The role the signer claims.
    pub role: Role,
    /// Caps the result must fit, so nothing is packed that a host would refuse.
    pub caps: Caps,
}

impl Default for PackOptions {
    fn default() -> PackOptions {
        PackOptions {
            version: None,
            build: None,
            app_id: None,
            name: None,
            development: false,
            role: Role::Developer,
            caps: Caps::default(),
        }
    }
}

/// What [`pack_project`] made.
#[derive(Debug, Clone)]
pub struct Packed {
    /// The signed manifest.
    pub manifest: Manifest,
    /// The bundle's bytes.
    pub bytes: Vec<u8>,
    /// Where the identity came from.
    pub identity: IdentitySource,
    /// What was accepted but is worth saying (unknown app.json fields, ...).
    pub warnings: Vec<String>,
}

/// Packs a mini program project: see [`pack_project`].
pub fn pack_dir(dir: &Path, key: &SecretKey, opts: &PackOptions) -> Result<(Manifest, Vec<u8>)> {
    pack_project(dir, key, opts).map(|p| (p.manifest, p.bytes))
}

/// Packs a mini program project as Alipay's tools lay it out ([`Project`]):
/// the package root's files (app.json's folder, after `miniprogramRoot`),
/// and of `node_modules` only the packages the project depends on (never
/// devDependencies). Hidden files, tool folders (`.tea`, `.mini-ide`), `*.md`,
/// mini.project.json, tsconfig.json and declaration files (`.d.ts`) are
/// skipped; links and special files are refused. TypeScript (`X.ts`) is
/// compiled to `X.js` with its source map `X.js.map` ([`crate::typescript`]).
/// Every route, subpackages included, is listed in the manifest.
pub fn pack_project(dir: &Path, key: &SecretKey, opts: &PackOptions) -> Result<Packed> {
    let project = Project::open(dir)?;
    let flags = IdentityFlags {
        app_id: opts.app_id.clone(),
        name: opts.name.clone(),
        version: opts.version.clone(),
        build: opts.build,
    };
    let id = project.identity(&flags, opts.development)?;
    let mut warnings = project.warnings.clone();
    let deps = Dependencies::of(&project, &mut warnings)?;
    let mut files = Vec::new();
    collect(&project.root, &project.root, &mut files, &opts.caps, &deps)?;
    // With miniprogramRoot, packages installed at the project root are packed too.
    let outer = project.dir.join("node_modules");
    if project.root != project.dir && outer.is_dir() {
        let mut more = Vec::new();
        collect(&project.dir, &outer, &mut more, &opts.caps, &deps)?;
        for (rel, abs) in more {
            if !files.iter().any(|(r, _)| *r == rel) {
                files.push((rel, abs));
            }
        }
    }
    let mut contents = Vec::with_capacity(files.len());
    for (rel, abs) in &files {
        let data = std::fs::read(abs).map_err(|e| Error::io("read", abs, e))?;
        if typescript::is_declaration(rel) || (rel.ends_with(".ts") && npm_package(rel).is_some()) {
            // Types only, or a package's TypeScript sources beside its
            // JavaScript: never a module candidate, so never packed.
            continue;
        }
        if typescript::is_source(rel) {
            let out = typescript::output_path(rel);
            if files.iter().any(|(r, _)| *r == out) {
                return Err(Error::TypeScript(format!(
                    "{rel}: {out} exists too; keep one of the two"
                )));
            }
            let text = String::from_utf8(data)
                .map_err(|_| Error::TypeScript(format!("{rel}: the file is not UTF-8")))?;
            let compiled = typescript::compile(rel, &text).map_err(Error::TypeScript)?;
            contents.push((format!("{out}.map"), compiled.map.into_bytes()));
            contents.push((out, compiled.js.into_bytes()));
            continue;
        }
        contents.push((rel.clone(), data));
    }
    contents.sort_by(|a, b| a.0.cmp(&b.0));
    if contents.len() as u64 + 2 > opts.caps.max_entries {
        return Err(Error::TooManyEntries {
            count: contents.len() as u64 + 2,
            cap: opts.caps.max_entries,
        });
    }
    let entries: Vec<FileEntry> = contents
        .iter()
        .map(|(rel, data)| FileEntry {
            path: rel.clone(),
            size: data.len() as u64,
            sha256: hex::encode(Sha256::digest(data)),
        })
        .collect();
    let manifest = Manifest::new(
        id.app_id,
        id.version,
        id.build,
        id.name,
        project.min_host_version()?,
        project.routes.clone(),
        project.permissions()?,
        entries,
    )?;
    let bytes = build_bundle(&manifest, &contents, &[(key, opts.role)])?;
    // The caps `verify`, a host and the platform's upload apply (archive and
    // unpacked size, entries, compression ratio): nothing is packed that
    // they would refuse.
    crate::verify::parse_capped(&bytes, &opts.caps)?;
    Ok(Packed {
        manifest,
        bytes,
        identity: id.source,
        warnings,
    })
}

/// The npm packages a project runs with: package.json's `dependencies`, and
/// theirs, found in `node_modules`. `None` when no package.json says (then
/// every installed package is packed, with a warning).
struct Dependencies(Option<std::collections::BTreeSet<String>>);

impl Dependencies {
    fn of(project: &Project, warnings: &mut Vec<String>) -> Result<Dependencies> {
        let mut folders = vec![project.root.clone()];
        if project.dir != project.root {
            folders.push(project.dir.clone());
        }
        let manifests: Vec<PathBuf> = folders
            .iter()
            .map(|f| f.join("package.json"))
            .filter(|p| p.is_file())
            .collect();
        if manifests.is_empty() {
            if folders.iter().any(|f| f.join("node_modules").is_dir()) {
                warnings.push(
                    "node_modules is packed whole: no package.json says which packages the program depends on".into(),
                );
            }
            return Ok(Dependencies(None));
        }
        let mut wanted: Vec<String> = Vec::new();
        for m in &manifests {
            wanted.extend(dependency_names(m)?);
        }
        let mut set = std::collections::BTreeSet::new();
        // Bounded by the packages installed: each is visited once.
        while let Some(name) = wanted.pop() {
            if !set.insert(name.clone()) {
                continue;
            }
            for f in &folders {
                let pj = f.join("node_modules").join(&name).join("package.json");
                if pj.is_file() {
                    wanted.extend(dependency_names(&pj)?);
                }
            }
        }
        Ok(Dependencies(Some(set)))
    }

    /// Whether `node_modules/<package>` is packed.
    fn wants(&self, package: &str) -> bool {
        self.0.as_ref().is_none_or(|s| s.contains(package))
    }
}

fn dependency_names(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let v: serde_json::Value = serde_json::from_slice(&text).map_err(|e| Error::Pack {
        path: path.to_owned(),
        reason: format!("not valid JSON: {e}"),
    })?;
    Ok(v.get("dependencies")
        .and_then(serde_json::Value::as_object)
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default())
}

/// Files the packer never takes: tool folders and documents.
fn skipped(name: &str, is_dir: bool, top: bool) -> bool {
    name.starts_with('.')
        || (!is_dir && name.ends_with(".md"))
        || (top
            && !is_dir
            && (name == "mini.project.json"
                || name == "tsconfig.json"
                || name == crate::project::SETTINGS_FILE))
}

/// The npm package a packed path lies in: `node_modules/@s/p/x.js` → `@s/p`;
/// `None` outside node_modules or for a scope folder itself.
fn npm_package(rel: &str) -> Option<String> {
    let after = rel.rsplit_once("node_modules/").map(|(_, a)| a)?;
    let mut segs = after.split('/');
    let first = segs.next()?;
    if first.starts_with('@') {
        segs.next().map(|second| format!("{first}/{second}"))
    } else {
        Some(first.to_owned())
    }
}

fn collect(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
    caps: &Caps,
    deps: &Dependencies,
) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    let mut items: Vec<_> = rd
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io("list", dir, e))?;
    items.sort_by_key(|e| e.file_name());
    for item in items {
        let abs = item.path();
        let name = item.file_name();
        let name = name.to_str().ok_or_else(|| Error::Pack {
            path: abs.clone(),
            reason: "file name is not UTF-8".into(),
        })?;
        let ft = item.file_type().map_err(|e| Error::io("stat", &abs, e))?;
        if skipped(name, ft.is_dir(), dir == root) {
            continue;
        }
        let rel = abs
            .strip_prefix(root)
            .ok()
            .and_then(Path::to_str)
            .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
            .ok_or_else(|| Error::Pack {
                path: abs.clone(),
                reason: "path is not UTF-8".into(),
            })?;
        if rel == "mpkit" {
            return Err(Error::Pack {
                path: abs,
                reason: "the mpkit/ folder is reserved for the bundle's own metadata".into(),
            });
        }
        if npm_package(&rel).is_some_and(|p| !deps.wants(&p)) {
            continue;
        }
        if ft.is_symlink() {
            return Err(Error::Pack {
                path: abs,
                reason: "symbolic links are not packed; copy the file in".into(),
            });
        } else if ft.is_dir() {
            collect(root, &abs, out, caps, deps)?;
        } else if ft.is_file() {
            crate::path::check(&rel).map_err(|reason| Error::UnsafePath {
                name: rel.clone(),
                reason,
            })?;
            out.push((rel, abs));
            if out.len() as u64 + 2 > caps.max_entries {
                return Err(Error::TooManyEntries {
                    count: out.len() as u64 + 2,
                    cap: caps.max_entries,
                });
            }
        } else {
            return Err(Error::Pack {
                path: abs,
                reason: "not a regular file".into(),
            });
        }
    }
    Ok(())
}

/// Writes a bundle: the manifest and signatures first (stored, so they can be
/// checked without inflating anything), then the files in manifest order.
/// `contents` must hold exactly the manifest's files.
pub fn build_bundle(
    manifest: &Manifest,
    contents: &[(String, Vec<u8>)],
    signers: &[(&SecretKey, Role)],
) -> Result<Vec<u8>> {
    let manifest_bytes = manifest.to_bytes()?;
    let sigs = SignatureFile {
        signatures: signers
            .iter()
            .map(|(k, role)| SignatureRecord::make(k, *role, Context::Manifest, &manifest_bytes))
            .collect(),
    };
    let sig_bytes = serde_json::to_vec_pretty(&sigs).map_err(|e| Error::Manifest(e.to_string()))?;
    let mut w = Writer::new();
    w.add(&RawEntry::file(
        MANIFEST_PATH,
        &manifest_bytes,
        Method::Stored,
    ));
    w.add(&RawEntry::file(SIGNATURES_PATH, &sig_bytes, Method::Stored));
    let mut sorted: Vec<&(String, Vec<u8>)> = contents.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, data) in sorted {
        let listed = manifest
            .file(path)
            .ok_or_else(|| Error::UnlistedEntry(path.clone()))?;
        if listed.size != data.len() as u64 || listed.sha256 != hex::encode(Sha256::digest(data)) {
            return Err(Error::HashMismatch(path.clone()));
        }
        w.add(&RawEntry::file(path, data, Method::Deflated));
    }
    if manifest.files.len() != contents.len() {
        return Err(Error::Manifest(
            "contents do not match the manifest's file list".into(),
        ));
    }
    Ok(w.finish())
}
