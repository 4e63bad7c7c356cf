//! The real management platform on 127.0.0.1, for tests: SQLite in a
//! temporary directory (or a fresh PostgreSQL database), storage beside it,
//! the bootstrap admin's token and the typed client.

use mpkit_bundle::{AppId, PackOptions, SecretKey};
use mpkit_platform::{Config, Platform};
use mpkit_platform_client::wire::{self, ReleaseState};
use mpkit_platform_client::Client;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::runtime::{Handle, Runtime};

/// The database a [`LocalPlatform`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file in the platform's temporary storage.
    Sqlite,
    /// A fresh database on the PostgreSQL server that `MPKIT_TEST_POSTGRES`
    /// names (`postgres://user@host/db`; `scripts/test` starts one).
    Postgres,
}

impl Db {
    /// SQLite always; PostgreSQL too when `MPKIT_TEST_POSTGRES` is set (it
    /// says so on stderr when it is not).
    pub fn all() -> Vec<Db> {
        if std::env::var_os("MPKIT_TEST_POSTGRES").is_some() {
            vec![Db::Sqlite, Db::Postgres]
        } else {
            eprintln!(
                "MPKIT_TEST_POSTGRES is not set: PostgreSQL runs are skipped (scripts/test sets it)"
            );
            vec![Db::Sqlite]
        }
    }
}

impl std::fmt::Display for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
        })
    }
}

/// A new, empty database on the test PostgreSQL server; its URL.
async fn fresh_postgres() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::var("MPKIT_TEST_POSTGRES").expect("MPKIT_TEST_POSTGRES");
    let name = format!(
        "mpkit_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&base)
        .await
        .expect("connect to postgres");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    let (head, _) = base.rsplit_once('/').expect("postgres url with a database");
    format!("{head}/{name}")
}

/// The platform server on 127.0.0.1, on a port of its own, until dropped.
///
/// [`LocalPlatform::start`] serves it on a runtime of its own, for tests that
/// block; [`LocalPlatform::spawn`] on the caller's, for async tests.
pub struct LocalPlatform {
    // Dropped first: the server stops before its storage goes.
    rt: Option<Runtime>,
    handle: Handle,
    /// The server itself (its policy cache, its root).
    pub platform: Arc<Platform>,
    /// Its URL, `http://127.0.0.1:PORT`.
    pub base: String,
    /// The bootstrap admin's token.
    pub admin: String,
    /// How it was opened: its database URL and storage (a second instance
    /// opens the same).
    pub config: Config,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for LocalPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalPlatform")
            .field("base", &self.base)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

impl LocalPlatform {
    /// A fresh platform on SQLite, served on a runtime of its own (two
    /// worker threads); [`LocalPlatform::block`] runs the client's calls.
    pub fn start() -> LocalPlatform {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let mut p = rt.block_on(LocalPlatform::spawn(Db::Sqlite, |_| {}));
        p.rt = Some(rt);
        p
    }

    /// A fresh platform on `db`, with `adjust` applied to its configuration,
    /// served on the caller's runtime.
    pub async fn spawn(db: Db, adjust: impl FnOnce(&mut Config)) -> LocalPlatform {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = Config::new(dir.path().join("platform"));
        if db == Db::Postgres {
            config.db = fresh_postgres().await;
        }
        adjust(&mut config);
        let (platform, boot) = Platform::open(config.clone()).await.expect("platform");
        let boot = boot.expect("a fresh platform creates its admin");
        LocalPlatform::serve(platform, boot.token, config, dir).await
    }

    async fn serve(
        platform: Arc<Platform>,
        admin: String,
        config: Config,
        dir: tempfile::TempDir,
    ) -> LocalPlatform {
        let addr = platform.serve_loopback().await.expect("serve on 127.0.0.1");
        LocalPlatform {
            rt: None,
            handle: Handle::current(),
            platform,
            base: format!("http://{addr}"),
            admin,
            config,
            dir,
        }
    }

    /// Another instance on the same database and storage (the same keys and
    /// admin), with `adjust` applied to its configuration, on its own port
    /// and the caller's runtime. `self` must outlive it: it owns the storage.
    pub async fn second(&self, adjust: impl FnOnce(&mut Config)) -> LocalPlatform {
        let mut config = self.config.clone();
        adjust(&mut config);
        let (platform, boot) = Platform::open(config.clone())
            .await
            .expect("second instance");
        assert!(boot.is_none(), "the second instance finds the admin");
        let dir = tempfile::tempdir().expect("a temporary directory");
        LocalPlatform::serve(platform, self.admin.clone(), config, dir).await
    }

    /// A temporary directory for the test's own files, removed with the
    /// platform (its storage is `platform/` inside).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `name` in [`LocalPlatform::dir`].
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The typed client, as the holder of `token` (or anonymous).
    pub fn client(&self, token: Option<&str>) -> Client {
        Client::new(&self.base, token.map(str::to_owned)).expect("client")
    }

    /// The typed client as the bootstrap admin.
    pub fn admin_client(&self) -> Client {
        self.client(Some(&self.admin))
    }

    /// The runtime the server runs on.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `f` to completion on the platform's runtime (from a test that
    /// blocks, not from async code).
    pub fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        self.handle.block_on(f)
    }

    /// Coffee Co: a merchant workspace whose Master registered a new
    /// developer key and created the mini program at `src` (not uploaded),
    /// and the target app `target`, created by the admin with a reviewer.
    pub async fn merchant(&self, src: &Path, target: wire::NewTarget) -> Merchant {
        let admin = self.admin_client();
        let master = admin
            .create_account("Coffee Co master")
            .await
            .expect("account");
        let rev = admin
            .create_account("Wallet reviewer")
            .await
            .expect("account");
        let owner = admin.with_token(master.token);
        let reviewer = admin.with_token(rev.token.clone());
        let ws = owner
            .create_workspace("Coffee Co", wire::WorkspaceKind::Merchant)
            .await
            .expect("workspace");
        let dev_key = SecretKey::generate().expect("key");
        owner
            .register_key(&ws.id, &dev_key.public().to_hex())
            .await
            .expect("key");
        let (m, _) = mpkit_bundle::pack_dir(src, &dev_key, &PackOptions::default())
            .unwrap_or_else(|e| panic!("packing {}: {e}", src.display()));
        owner
            .create_app(
                &ws.id,
                &wire::NewApp {
                    app_id: Some(m.app_id.to_string()),
                    name: m.name.clone(),
                    developer_workspace: None,
                },
            )
            .await
            .expect("app");
        admin.create_target(&target).await.expect("target");
        admin
            .add_reviewer(&target.id, &rev.id)
            .await
            .expect("reviewer");
        Merchant {
            admin,
            owner,
            reviewer,
            reviewer_id: rev.id,
            workspace: ws.id,
            app: m.app_id,
            dev_key,
            target: target.id,
        }
    }
}

/// A merchant with a mini program on a target app, from
/// [`LocalPlatform::merchant`].
#[derive(Debug)]
pub struct Merchant {
    /// The platform admin.
    pub admin: Client,
    /// The merchant workspace's Master.
    pub owner: Client,
    /// The target app's reviewer.
    pub reviewer: Client,
    /// The reviewer's account id.
    pub reviewer_id: String,
    /// The merchant workspace's id.
    pub workspace: String,
    /// The mini program.
    pub app: AppId,
    /// The developer key registered with the workspace.
    pub dev_key: SecretKey,
    /// The target app's id.
    pub target: String,
}

impl Merchant {
    /// Starts a release of the uploaded `version` on the target app and
    /// walks it to approved (a passing compatibility report, applied,
    /// approved by the reviewer); its id.
    pub async fn approved(&self, version: &str) -> String {
        let r = self
            .owner
            .start_release(
                self.app.as_str(),
                &wire::NewRelease {
                    target_app: self.target.clone(),
                    version: version.into(),
                    basic_info: None,
                },
            )
            .await
            .expect("start");
        let report = serde_json::json!({"suite": "mpkit", "passed": 1, "failed": 0});
        self.owner
            .compat_report(&r.id, &report)
            .await
            .expect("report");
        self.owner.apply(&r.id).await.expect("apply");
        let ok = self.reviewer.approve(&r.id).await.expect("approve");
        assert_eq!(ok.state, ReleaseState::Approved);
        r.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MiniProgram;

    fn target() -> wire::NewTarget {
        wire::NewTarget {
            id: "kit.wallet".into(),
            name: "Kit Wallet".into(),
            allowed_permissions: vec!["request".into()],
        }
    }

    #[test]
    fn a_blocking_platform_answers_its_admin_over_http_and_walks_a_release() {
        let p = LocalPlatform::start();
        assert!(p.base.starts_with("http://127.0.0.1:"), "{}", p.base);
        let me = p.block(p.admin_client().me()).expect("me");
        assert!(me.admin, "the bootstrap token is the admin's");
        assert!(
            p.block(p.client(Some("mpk_forged")).me()).is_err(),
            "a forged token is refused"
        );

        let src = MiniProgram::new(&serde_json::json!({
            "appId": "2021000000000042", "name": "Kit", "version": "1.0.0",
            "pages": ["pages/index/index"]}))
        .page("pages/index/index", "<view>kit</view>", "Page({});")
        .write(&p.path("src"));
        let m = p.block(p.merchant(&src, target()));
        assert_eq!(m.app.as_str(), "2021000000000042");
        let (_, bytes) =
            mpkit_bundle::pack_dir(&src, &m.dev_key, &PackOptions::default()).expect("pack");
        p.block(m.owner.upload_version(m.app.as_str(), bytes.into(), None))
            .expect("upload");
        let id = p.block(m.approved("1.0.0"));
        p.block(m.owner.full(&id)).expect("full");
        let answer = p
            .block(p.client(None).resolve(m.app.as_str(), &m.target, "alice"))
            .expect("resolve");
        let a: wire::ResolveAnswer = serde_json::from_str(&answer.payload).expect("answer");
        assert_eq!(
            a.version.map(|v| v.version).as_deref(),
            Some("1.0.0"),
            "alice gets the full release"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_instance_shares_the_database_and_the_admin() {
        let a = LocalPlatform::spawn(Db::Sqlite, |c| c.max_upload = 1024).await;
        assert_eq!(a.config.max_upload, 1024);
        let b = a.second(|_| {}).await;
        assert_ne!(a.base, b.base);
        assert_eq!(b.platform.root_json(), a.platform.root_json());
        let acct = a
            .admin_client()
            .create_account("seen by both")
            .await
            .expect("account");
        let me = b.client(Some(&acct.token)).me().await.expect("me on b");
        assert_eq!(me.id, acct.id);
    }
}
