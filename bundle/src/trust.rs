//! Trust: roles, the trust root and its rotation, and threshold signature checks.

use crate::error::{Error, Result, RootFailure, SignatureFailure};
use crate::keys::{Context, KeyId, PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use time::OffsetDateTime;

/// A signing role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Signs `root.json`.
    Root,
    /// Signs the manifests of approved release packages.
    Publisher,
    /// Signs release policies and resolve answers.
    Policy,
    /// A workspace developer's key: trusted only when passed explicitly (preview and dev mode).
    Developer,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Root => "root",
            Role::Publisher => "publisher",
            Role::Policy => "policy",
            Role::Developer => "developer",
        })
    }
}

/// One signature as stored in `mpkit/signatures.json` or `root.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignatureRecord {
    /// The signing key's id.
    pub key_id: KeyId,
    /// The role the signer claims.
    pub role: Role,
    /// 128 hex digits.
    pub sig: String,
}

impl SignatureRecord {
    /// Signs `bytes` in `context` as `role`.
    pub fn make(key: &SecretKey, role: Role, context: Context, bytes: &[u8]) -> SignatureRecord {
        SignatureRecord {
            key_id: key.public().id().clone(),
            role,
            sig: hex::encode(key.sign(context, bytes)),
        }
    }
}

/// The contents of `mpkit/signatures.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignatureFile {
    /// One or more signatures over the exact manifest bytes.
    pub signatures: Vec<SignatureRecord>,
}

impl SignatureFile {
    /// Parses strictly.
    pub fn parse(bytes: &[u8]) -> Result<SignatureFile> {
        crate::json::parse("signatures", bytes)
    }
}

/// The keys of one role and how many of them must sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleKeys {
    /// Key ids, each present in the root's `keys`.
    pub key_ids: Vec<KeyId>,
    /// Valid signatures needed from distinct keys.
    pub threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyEntry {
    scheme: String,
    public: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RootBody {
    #[serde(rename = "type")]
    kind: String,
    version: u64,
    #[serde(with = "time::serde::rfc3339")]
    expires: OffsetDateTime,
    keys: BTreeMap<KeyId, KeyEntry>,
    roles: BTreeMap<Role, RoleKeys>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RootFile {
    signed: Box<RawValue>,
    signatures: Vec<RootSignature>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RootSignature {
    key_id: KeyId,
    sig: String,
}

const ROOT_TYPE: &str = "mpkit-root";
const ROLES: [Role; 3] = [Role::Root, Role::Publisher, Role::Policy];

/// A trust root whose signatures have been checked.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    body: RootBody,
    keys: BTreeMap<KeyId, PublicKey>,
}

/// A signature to check: who, claiming which role, and the signature bytes (hex).
pub(crate) struct Claim<'a> {
    pub(crate) key_id: &'a KeyId,
    pub(crate) role: Option<Role>,
    pub(crate) sig_hex: &'a str,
}

/// Counts valid signatures by distinct keys of `role`. A signature by a trusted
/// key that does not verify is an error, never skipped: tampering fails closed.
pub(crate) fn check_threshold(
    role: Role,
    allowed: &BTreeMap<KeyId, PublicKey>,
    threshold: usize,
    claims: &[Claim<'_>],
    context: Context,
    bytes: &[u8],
) -> Result<usize, SignatureFailure> {
    if claims.is_empty() {
        return Err(SignatureFailure::Unsigned);
    }
    let mut good = BTreeSet::new();
    let mut untrusted = None;
    for c in claims {
        let key = match allowed.get(c.key_id) {
            Some(k) if c.role.is_none_or(|r| r == role) => k,
            _ => {
                untrusted.get_or_insert_with(|| {
                    (c.key_id.to_string(), c.role.unwrap_or(role).to_string())
                });
                continue;
            }
        };
        let sig = hex::decode(c.sig_hex).map_err(|_| {
            SignatureFailure::Malformed(format!("signature by {} is not hex", c.key_id))
        })?;
        key.verify(context, bytes, &sig)?;
        good.insert(c.key_id.clone());
    }
    if good.len() >= threshold {
        return Ok(good.len());
    }
    match untrusted {
        Some((key_id, role)) if good.is_empty() => {
            Err(SignatureFailure::UntrustedKey { key_id, role })
        }
        _ => Err(SignatureFailure::ThresholdNotMet {
            role: role.to_string(),
            have: good.len(),
            need: threshold,
        }),
    }
}

impl TrustedRoot {
    /// Loads the root a host ships with or is configured with. It must be signed by a
    /// threshold of its own root keys and not be expired at `now`.
    pub fn load(bytes: &[u8], now: OffsetDateTime) -> Result<TrustedRoot> {
        let root = TrustedRoot::load_self_signed(bytes)?;
        root.check_fresh(now)?;
        Ok(root)
    }

    /// Loads a root checking its own signatures but not its expiry: only for
    /// signing its successor, never for trusting bundles.
    pub fn load_for_rotation(bytes: &[u8]) -> Result<TrustedRoot> {
        TrustedRoot::load_self_signed(bytes)
    }

    /// Parses a root and checks it is signed by a threshold of its own root keys.
    fn load_self_signed(bytes: &[u8]) -> Result<TrustedRoot> {
        let (root, raw, sigs) = parse_root(bytes)?;
        root.check_role_sigs(Role::Root, &raw, &sigs)
            .map_err(|failure| RootFailure::RotationNotSigned {
                version: root.body.version,
                which: "its own",
                failure,
            })?;
        Ok(root)
    }

    /// Loads a chain: the first root is the trust anchor, each next one a rotation of
    /// the one before. Only the last one must be unexpired.
    pub fn load_chain(roots: &[Vec<u8>], now: OffsetDateTime) -> Result<TrustedRoot> {
        let (first, rest) = roots
            .split_first()
            .ok_or_else(|| RootFailure::Invalid("no root given".into()))?;
        let mut root = TrustedRoot::load_self_signed(first)?;
        for next in rest {
            root = root.rotate_unchecked_expiry(next)?;
        }
        root.check_fresh(now)?;
        Ok(root)
    }

    /// Accepts root N+1 only when signed by a threshold of this root's keys and of
    /// its own keys, and when it is not expired.
    pub fn rotate(&self, next: &[u8], now: OffsetDateTime) -> Result<TrustedRoot> {
        let new = self.rotate_unchecked_expiry(next)?;
        new.check_fresh(now)?;
        Ok(new)
    }

    fn rotate_unchecked_expiry(&self, next: &[u8]) -> Result<TrustedRoot> {
        let (new, raw, sigs) = parse_root(next)?;
        let (from, to) = (self.body.version, new.body.version);
        if to != from + 1 {
            return Err(RootFailure::VersionGap { from, to }.into());
        }
        self.check_role_sigs(Role::Root, &raw, &sigs)
            .map_err(|failure| RootFailure::RotationNotSigned {
                version: to,
                which: "old",
                failure,
            })?;
        new.check_role_sigs(Role::Root, &raw, &sigs)
            .map_err(|failure| RootFailure::RotationNotSigned {
                version: to,
                which: "new",
                failure,
            })?;
        Ok(new)
    }

    fn check_fresh(&self, now: OffsetDateTime) -> Result<()> {
        if now >= self.body.expires {
            return Err(RootFailure::Expired {
                version: self.body.version,
                expires: self
                    .body
                    .expires
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            }
            .into());
        }
        Ok(())
    }

    /// The keys trusted for `role`.
    pub(crate) fn role_keys(&self, role: Role) -> (BTreeMap<KeyId, PublicKey>, usize) {
        let Some(r) = self.body.roles.get(&role) else {
            return (BTreeMap::new(), usize::MAX);
        };
        let keys = r
            .key_ids
            .iter()
            .filter_map(|id| self.keys.get(id).map(|k| (id.clone(), k.clone())))
            .collect();
        (keys, r.threshold as usize)
    }

    fn check_role_sigs(
        &self,
        role: Role,
        raw: &[u8],
        sigs: &[RootSignature],
    ) -> Result<usize, SignatureFailure> {
        let (keys, threshold) = self.role_keys(role);
        let claims: Vec<Claim<'_>> = sigs
            .iter()
            .map(|s| Claim {
                key_id: &s.key_id,
                role: None,
                sig_hex: &s.sig,
            })
            .collect();
        check_threshold(role, &keys, threshold, &claims, Context::Root, raw)
    }

    /// Checks a document signed by `role` under `context` with this root's keys for it.
    pub fn check_signed(
        &self,
        role: Role,
        context: Context,
        bytes: &[u8],
        sigs: &[SignatureRecord],
    ) -> Result<()> {
        let (keys, threshold) = self.role_keys(role);
        let claims: Vec<Claim<'_>> = sigs
            .iter()
            .map(|s| Claim {
                key_id: &s.key_id,
                role: Some(s.role),
                sig_hex: &s.sig,
            })
            .collect();
        check_threshold(role, &keys, threshold, &claims, context, bytes)?;
        Ok(())
    }

    /// This root's version.
    pub fn version(&self) -> u64 {
        self.body.version
    }

    /// When this root expires.
    pub fn expires(&self) -> OffsetDateTime {
        self.body.expires
    }

    /// The public keys and threshold of `role`.
    pub fn role(&self, role: Role) -> Option<(Vec<PublicKey>, u32)> {
        let r = self.body.roles.get(&role)?;
        Some((
            r.key_ids
                .iter()
                .filter_map(|id| self.keys.get(id).cloned())
                .collect(),
            r.threshold,
        ))
    }
}

fn parse_root(bytes: &[u8]) -> Result<(TrustedRoot, Vec<u8>, Vec<RootSignature>)> {
    let file: RootFile = crate::json::parse("root", bytes)?;
    let raw = file.signed.get().as_bytes().to_vec();
    let body: RootBody = crate::json::parse("root.signed", &raw)?;
    let invalid = |m: String| Error::from(RootFailure::Invalid(m));
    if body.kind != ROOT_TYPE {
        return Err(invalid(format!("type must be {ROOT_TYPE:?}")));
    }
    if body.version == 0 {
        return Err(invalid("version starts at 1".into()));
    }
    let mut keys = BTreeMap::new();
    for (id, entry) in &body.keys {
        if entry.scheme != "ed25519" {
            return Err(invalid(format!("key {id}: scheme must be ed25519")));
        }
        let key = PublicKey::from_hex(&entry.public)?;
        if key.id() != id {
            return Err(invalid(format!(
                "key {id} is listed under the wrong id (it is {})",
                key.id()
            )));
        }
        keys.insert(id.clone(), key);
    }
    for role in ROLES {
        let r = body
            .roles
            .get(&role)
            .ok_or_else(|| invalid(format!("role {role} is missing")))?;
        let distinct: BTreeSet<_> = r.key_ids.iter().collect();
        if distinct.len() != r.key_ids.len() {
            return Err(invalid(format!("role {role} lists a key twice")));
        }
        if r.threshold == 0 || r.threshold as usize > r.key_ids.len() {
            return Err(invalid(format!(
                "role {role} has threshold {} with {} keys",
                r.threshold,
                r.key_ids.len()
            )));
        }
        if let Some(missing) = r.key_ids.iter().find(|id| !keys.contains_key(*id)) {
            return Err(invalid(format!("role {role} names unknown key {missing}")));
        }
    }
    if body.roles.contains_key(&Role::Developer) {
        return Err(invalid(
            "a root has no developer role; developer keys are trusted only explicitly".into(),
        ));
    }
    Ok((TrustedRoot { body, keys }, raw, file.signatures))
}

/// The contents of a root to be signed.
#[derive(Debug, Clone)]
pub struct RootSpec {
    /// Version, starting at 1 and increasing by one per rotation.
    pub version: u64,
    /// Expiry.
    pub expires: OffsetDateTime,
    /// Keys and threshold per role; root, publisher and policy are required.
    pub roles: BTreeMap<Role, (Vec<PublicKey>, u32)>,
}

impl RootSpec {
    /// The spec of an already trusted root, to edit into its successor.
    pub fn from_trusted(root: &TrustedRoot) -> RootSpec {
        let roles = ROLES
            .iter()
            .filter_map(|r| root.role(*r).map(|v| (*r, v)))
            .collect();
        RootSpec {
            version: root.version(),
            expires: root.expires(),
            roles,
        }
    }

    /// Serialises and signs with every key in `signers`. The result is checked
    /// by parsing it back, so a spec that breaks a rule never leaves here.
    pub fn sign(&self, signers: &[&SecretKey]) -> Result<Vec<u8>> {
        let mut keys = BTreeMap::new();
        let mut roles = BTreeMap::new();
        for (role, (list, threshold)) in &self.roles {
            for k in list {
                keys.insert(
                    k.id().clone(),
                    KeyEntry {
                        scheme: "ed25519".into(),
                        public: k.to_hex(),
                    },
                );
            }
            roles.insert(
                *role,
                RoleKeys {
                    key_ids: list.iter().map(|k| k.id().clone()).collect(),
                    threshold: *threshold,
                },
            );
        }
        let body = RootBody {
            kind: ROOT_TYPE.into(),
            version: self.version,
            expires: self.expires.replace_nanosecond(0).unwrap_or(self.expires),
            keys,
            roles,
        };
        let signed =
            serde_json::to_string_pretty(&body).map_err(|e| RootFailure::Invalid(e.to_string()))?;
        let sigs: Vec<RootSignature> = signers
            .iter()
            .map(|k| RootSignature {
                key_id: k.public().id().clone(),
                sig: hex::encode(k.sign(Context::Root, signed.as_bytes())),
            })
            .collect();
        let sigs =
            serde_json::to_string_pretty(&sigs).map_err(|e| RootFailure::Invalid(e.to_string()))?;
        let out = format!("{{\n\"signed\": {signed},\n\"signatures\": {sigs}\n}}");
        parse_root(out.as_bytes())?;
        Ok(out.into_bytes())
    }
}
