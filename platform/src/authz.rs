//! Who the caller is, and what they may do to one object. Every handler goes
//! through these checks on the object itself (no list-level or id-wildcard
//! shortcuts). Objects a caller has no relation to answer 404, so their
//! existence does not leak.

use crate::db::Columns;
use crate::error::Error;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The account id.
    pub(crate) account: String,
    /// Platform administrator (target apps, reviewers, accounts).
    pub(crate) admin: bool,
    /// The id of the token the call was made with.
    pub(crate) token: String,
}

pub(crate) use mpkit_platform_client::wire::{IsvAction, Role};

/// What a caller does: the rows of the role matrix. The first six are done
/// to one mini program, the rest to a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// See a mini program, its versions, releases, policy and packages.
    ReadApp,
    /// Upload a version.
    Upload,
    /// Run the release workflow (start, report, apply, pilot, grayscale,
    /// full, cancel).
    Release,
    /// Production decisions on a live app: roll back, take down.
    Production,
    /// Assign developers to the mini program, and grant them production.
    Assign,
    /// Make, list and revoke the mini program's server credentials.
    AppSecrets,
    /// See the workspace's members.
    ListMembers,
    /// Add and remove members, change roles.
    ManageMembers,
    /// Register, list and revoke developer keys.
    DevKeys,
    /// See the workspace's mini programs (a Developer: those assigned).
    ListApps,
    /// Create a mini program.
    CreateApp,
    /// Authorize an ISV, and revoke it.
    AuthorizeIsv,
    /// Register, list and delete webhooks.
    Webhooks,
}

/// Whether a role may do an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum May {
    /// Always.
    Yes,
    /// On the mini programs assigned to them.
    Assigned,
    /// On an assigned mini program whose assignment grants production
    /// decisions (a Master or Owner grants it, audited).
    Granted,
    /// Never.
    No,
}

/// The role matrix, written once: each operation, the ISV authorization
/// action it needs when the caller belongs to the developing ISV (`None`:
/// a workspace operation), and what a Master, an Owner and a Developer may.
/// Every handler checks through it; docs/platform.md holds its rendering
/// (`render_matrix`), and the API tests call every cell.
pub(crate) const MATRIX: &[(Op, &str, Option<IsvAction>, [May; 3])] = {
    use May::*;
    &[
        (
            Op::ReadApp,
            "see a mini program, its versions, releases, policy, packages",
            Some(IsvAction::Read),
            [Yes, Yes, Assigned],
        ),
        (
            Op::Upload,
            "upload a version",
            Some(IsvAction::Upload),
            [Yes, Yes, Assigned],
        ),
        (
            Op::Release,
            "run the release workflow",
            Some(IsvAction::Release),
            [Yes, Yes, Assigned],
        ),
        (
            Op::Production,
            "roll back, take down",
            Some(IsvAction::Manage),
            [Yes, Yes, Granted],
        ),
        (
            Op::Assign,
            "assign developers, grant production",
            Some(IsvAction::Manage),
            [Yes, Yes, No],
        ),
        (
            Op::AppSecrets,
            "make, list, revoke app secrets",
            Some(IsvAction::Manage),
            [Yes, Yes, No],
        ),
        (
            Op::ListMembers,
            "see the workspace's members",
            None,
            [Yes, Yes, Yes],
        ),
        (
            Op::ManageMembers,
            "add, remove members; change roles",
            None,
            [Yes, No, No],
        ),
        (
            Op::DevKeys,
            "register, list, revoke developer keys",
            None,
            [Yes, Yes, No],
        ),
        (
            Op::ListApps,
            "list the workspace's mini programs",
            None,
            [Yes, Yes, Yes],
        ),
        (Op::CreateApp, "create a mini program", None, [Yes, Yes, No]),
        (
            Op::AuthorizeIsv,
            "authorize an ISV, revoke it",
            None,
            [Yes, No, No],
        ),
        (
            Op::Webhooks,
            "register, list, delete webhooks",
            None,
            [Yes, No, No],
        ),
    ]
};

/// The matrix's row for `op`.
fn matrix_row(op: Op) -> (Option<IsvAction>, [May; 3]) {
    MATRIX
        .iter()
        .find(|r| r.0 == op)
        .map(|r| (r.2, r.3))
        .unwrap_or((None, [May::No; 3]))
}

/// What `role` may do for `op`.
pub(crate) fn may(role: Role, op: Op) -> May {
    let cells = matrix_row(op).1;
    match role {
        Role::Master => cells[0],
        Role::Owner => cells[1],
        Role::Developer => cells[2],
    }
}

/// The matrix as a Markdown table (docs/platform.md holds it).
#[cfg(test)]
pub(crate) fn render_matrix() -> String {
    let cell = |m: May| match m {
        May::Yes => "yes",
        May::Assigned => "assigned apps",
        May::Granted => "assigned, with production granted",
        May::No => "no",
    };
    let mut s = String::from(
        "| operation | ISV needs | Master | Owner | Developer |\n|---|---|---|---|---|\n",
    );
    for (_, what, isv, cells) in MATRIX {
        s.push_str(&format!(
            "| {what} | {} | {} | {} | {} |\n",
            isv.map_or("(workspace only)", |a| a.as_str()),
            cell(cells[0]),
            cell(cells[1]),
            cell(cells[2])
        ));
    }
    s
}

/// The account a bearer token belongs to, if any: a token that is revoked
/// or expired names no one, from its next call on.
pub(crate) async fn caller(db: &AnyPool, token: &str) -> Result<Option<Caller>, Error> {
    let hash = token_hash(token);
    let row = sqlx::query(
        "SELECT a.id AS id, a.admin AS admin FROM tokens t JOIN accounts a ON a.id = t.account_id \
         WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)",
    )
    .bind(&hash)
    .bind(crate::now())
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Caller {
            account: r.text("id")?,
            admin: r.int("admin")? != 0,
            token: token_id(&hash),
        })
    })
    .transpose()
}

/// A token's id: the first 16 hex digits of its stored hash (so the id
/// says nothing about the token, and old rows have one too).
pub(crate) fn token_id(hash: &str) -> String {
    hash.chars().take(16).collect()
}

/// The hash under which a token is stored.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The caller's role in a workspace.
pub(crate) async fn role_in(db: &AnyPool, ws: &str, account: &str) -> Result<Option<Role>, Error> {
    let row = sqlx::query("SELECT role FROM members WHERE workspace_id = $1 AND account_id = $2")
        .bind(ws)
        .bind(account)
        .fetch_optional(db)
        .await?;
    row.map(|r| r.parsed("role")).transpose()
}

/// A mini program as the checks need it.
#[derive(Debug, Clone)]
pub(crate) struct AppRow {
    pub(crate) app_id: String,
    pub(crate) name: String,
    pub(crate) owner_ws: String,
    pub(crate) developer_ws: Option<String>,
}

/// Loads a mini program and checks that `caller` may do `op` to it, by the
/// role matrix ([`MATRIX`]).
pub(crate) async fn app_access(
    db: &AnyPool,
    caller: &Caller,
    app_id: &str,
    op: Op,
) -> Result<AppRow, Error> {
    let not_found = || Error::NotFound(format!("no mini program {app_id}"));
    let row =
        sqlx::query("SELECT app_id, name, owner_ws, developer_ws FROM apps WHERE app_id = $1")
            .bind(app_id)
            .fetch_optional(db)
            .await?
            .ok_or_else(not_found)?;
    let app = AppRow {
        app_id: row.text("app_id")?,
        name: row.text("name")?,
        owner_ws: row.text("owner_ws")?,
        developer_ws: row.opt_text("developer_ws")?,
    };
    if caller.admin {
        return Ok(app);
    }
    let (isv_action, _) = matrix_row(op);
    // The owning merchant's members.
    if let Some(role) = role_in(db, &app.owner_ws, &caller.account).await? {
        return by_role(db, caller, &app, role, op).await.map(|()| app);
    }
    // The developing ISV's members: only under a live authorization, checked
    // on every call, so a revocation applies to tokens issued before it.
    if let Some(dev_ws) = &app.developer_ws {
        if let Some(role) = role_in(db, dev_ws, &caller.account).await? {
            let Some(action) = isv_action else {
                return Err(not_found());
            };
            let auths = sqlx::query(
                "SELECT actions FROM isv_auths WHERE merchant_ws = $1 AND isv_ws = $2 AND revoked_at IS NULL \
                 AND (app_id IS NULL OR app_id = $3)",
            )
            .bind(&app.owner_ws)
            .bind(dev_ws)
            .bind(app_id)
            .fetch_all(db)
            .await?;
            let mut allowed = false;
            for r in &auths {
                allowed |= r.text("actions")?.split(',').any(|a| a == action.as_str());
            }
            if !allowed {
                return Err(Error::Forbidden(format!(
                    "the merchant has not authorized your workspace to {} {app_id}",
                    action.as_str()
                )));
            }
            return by_role(db, caller, &app, role, op).await.map(|()| app);
        }
    }
    Err(not_found())
}

/// The matrix's cell for a member with `role` doing `op` to `app`.
async fn by_role(
    db: &AnyPool,
    caller: &Caller,
    app: &AppRow,
    role: Role,
    op: Op,
) -> Result<(), Error> {
    let id = &app.app_id;
    let assignment = || async {
        sqlx::query("SELECT production FROM assignments WHERE app_id = $1 AND account_id = $2")
            .bind(id)
            .bind(&caller.account)
            .fetch_optional(db)
            .await?
            .map(|r| r.int("production").map(|p| p != 0))
            .transpose()
    };
    match may(role, op) {
        May::Yes => Ok(()),
        May::Assigned => match assignment().await? {
            Some(_) => Ok(()),
            None => Err(Error::Forbidden(format!("{id} is not assigned to you"))),
        },
        May::Granted => match assignment().await? {
            Some(true) => Ok(()),
            Some(false) => Err(Error::Forbidden(format!(
                "rolling back and taking down {id} are production decisions for an Owner or a \
                 Master; an Owner or Master can grant them to you (`mpkit app assign --production`)"
            ))),
            None => Err(Error::Forbidden(format!("{id} is not assigned to you"))),
        },
        May::No => Err(Error::Forbidden(format!(
            "this needs an Owner or a Master of the workspace that owns {id}"
        ))),
    }
}

/// Whether the caller reviews releases for `target`.
pub(crate) async fn is_reviewer(db: &AnyPool, target: &str, account: &str) -> Result<bool, Error> {
    Ok(
        sqlx::query("SELECT account_id FROM reviewers WHERE target_app = $1 AND account_id = $2")
            .bind(target)
            .bind(account)
            .fetch_optional(db)
            .await?
            .is_some(),
    )
}

/// The caller's role in `ws` when the role matrix lets it do `op` there;
/// a non-member learns nothing (404), a member whose role may not is
/// forbidden.
pub(crate) async fn require_ws(db: &AnyPool, c: &Caller, ws: &str, op: Op) -> Result<Role, Error> {
    match role_in(db, ws, &c.account).await? {
        Some(r) if may(r, op) == May::Yes => Ok(r),
        Some(_) => {
            let (_, cells) = matrix_row(op);
            let need = if cells[1] == May::Yes {
                "Owner"
            } else {
                "Master"
            };
            Err(Error::Forbidden(format!(
                "this needs the {} role in the workspace",
                need.to_lowercase()
            )))
        }
        None => Err(Error::NotFound(format!("no workspace {ws}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str = "<!-- role-matrix: generated from platform/src/authz.rs (MPKIT_UPDATE_DOCS=1 cargo test -p mpkit-platform --lib role_matrix) -->\n";
    const END: &str = "<!-- /role-matrix -->";

    /// docs/platform.md holds the matrix as the code has it.
    #[test]
    fn role_matrix_in_the_docs_is_the_one_in_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/platform.md");
        let doc = std::fs::read_to_string(&path).expect("docs/platform.md");
        let (Some(a), Some(b)) = (doc.find(BEGIN), doc.find(END)) else {
            panic!("docs/platform.md has no role-matrix section");
        };
        let want = render_matrix();
        let have = &doc[a + BEGIN.len()..b];
        if have != want {
            if std::env::var_os("MPKIT_UPDATE_DOCS").is_some() {
                let new = format!("{}{want}{}", &doc[..a + BEGIN.len()], &doc[b..]);
                std::fs::write(&path, new).expect("write");
            } else {
                panic!("docs/platform.md's role matrix is stale; run with MPKIT_UPDATE_DOCS=1:\n{want}");
            }
        }
    }

    /// Every operation has one row, and least privilege holds where the
    /// issue says it must: a Developer never administers, and decides in
    /// production only by grant.
    #[test]
    fn every_operation_has_one_row_and_developers_administer_nothing() {
        let ops = [
            Op::ReadApp,
            Op::Upload,
            Op::Release,
            Op::Production,
            Op::Assign,
            Op::AppSecrets,
            Op::ListMembers,
            Op::ManageMembers,
            Op::DevKeys,
            Op::ListApps,
            Op::CreateApp,
            Op::AuthorizeIsv,
            Op::Webhooks,
        ];
        assert_eq!(MATRIX.len(), ops.len());
        for op in ops {
            assert_eq!(MATRIX.iter().filter(|r| r.0 == op).count(), 1, "{op:?}");
        }
        assert_eq!(may(Role::Developer, Op::Production), May::Granted);
        for op in [
            Op::Assign,
            Op::AppSecrets,
            Op::ManageMembers,
            Op::AuthorizeIsv,
        ] {
            assert_eq!(may(Role::Developer, op), May::No, "{op:?}");
        }
        assert_eq!(may(Role::Owner, Op::ManageMembers), May::No);
    }
}
