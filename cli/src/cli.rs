//! The command-line grammar.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// mpkit: sign, verify and install mini program bundles, and run the whole product.
#[derive(Debug, Parser)]
#[command(name = "mpkit", version, about)]
pub(crate) struct Cli {
    /// More log output on stderr (-v info, -vv debug); MPKIT_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate an ed25519 key: KEY (private, mode 0600) and KEY.pub.
    Keygen {
        /// Where to write the private key; the public key goes to KEY.pub.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Pack a mini program directory into a signed bundle.
    Pack {
        /// The directory holding app.json.
        dir: PathBuf,
        /// The signing key.
        #[arg(long)]
        key: PathBuf,
        /// The bundle to write.
        #[arg(long)]
        out: PathBuf,
        /// Version to stamp instead of app.json's.
        #[arg(long)]
        version: Option<semver::Version>,
        /// Build number instead of app.json's or the one derived from the version.
        #[arg(long)]
        build: Option<u64>,
        /// The role the signature claims.
        #[arg(long, value_enum, default_value_t = SignRole::Developer)]
        role: SignRole,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Verify a bundle completely: structure, signature, identity, every file.
    Verify {
        /// The bundle.
        bundle: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// Require this appId.
        #[arg(long)]
        app_id: Option<String>,
        /// Require this version.
        #[arg(long)]
        version: Option<semver::Version>,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Show a bundle's manifest and signatures (structure checked, trust NOT checked).
    Inspect {
        /// The bundle.
        bundle: PathBuf,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Verify and install a bundle into a store, keeping the last good version.
    Install {
        /// The bundle.
        bundle: PathBuf,
        /// The store directory.
        #[arg(long)]
        store: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// Require this appId.
        #[arg(long)]
        app_id: Option<String>,
        /// Require this version.
        #[arg(long)]
        version: Option<semver::Version>,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Run a mini program (a directory or a bundle) and optionally script it.
    Run {
        /// A mini program directory (packed on the fly with a throwaway dev key) or an .mpk.
        app: PathBuf,
        /// Render into the headless DOM (required; `mpkit preview` shows a window).
        #[arg(long)]
        headless: bool,
        /// A JSON array of steps: {"tap": SEL}, {"input": {"selector", "value"}}, {"back": N},
        /// {"wait_for": SEL}, {"expect_text": {"selector", "text"}}, {"idle": MS}.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Trust for an .mpk (a directory is signed with a throwaway key and trusted for this run).
        #[command(flatten)]
        trust: OptionalTrust,
        /// Screen width in px (750rpx).
        #[arg(long, default_value_t = 375.0)]
        width: f64,
        /// Where the JS runs: a worker process (memory cap and watchdog) or this thread.
        #[arg(long, value_enum, default_value_t = IsolationArg::Process)]
        isolation: IsolationArg,
        /// Watchdog: how long one handler may run, in milliseconds (process mode).
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
        /// Memory cap of the worker, in MiB (process mode).
        #[arg(long, default_value_t = 1024)]
        memory_mb: u64,
        /// The host user the mini program runs for (identity comes from the host).
        #[arg(long, default_value = "dev-user")]
        user: String,
        /// Answer yes when the mini program asks for this scope (e.g. scope.location).
        #[arg(long = "grant", value_name = "SCOPE")]
        grant: Vec<String>,
        /// Answer no when the mini program asks for this scope (the default answer).
        #[arg(long = "deny", value_name = "SCOPE")]
        deny: Vec<String>,
        /// Confirm payment sheets (tradePay); without it every payment is cancelled.
        #[arg(long)]
        confirm_payments: bool,
        /// A loopback origin the mini program may reach in development, e.g. http://127.0.0.1:8080.
        #[arg(long = "dev-origin", value_name = "URL")]
        dev_origin: Vec<String>,
        /// Keep user data (storage, files, consent) here across runs instead of a temporary directory.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Test a mini program against compatibility profiles (OS, device, host, network).
    Compat(crate::cmd::compat::CompatArgs),
    /// Show a mini program in a window sized to a phone, reloading on change;
    /// or render its first page to a PNG and exit.
    Preview(crate::cmd::preview::PreviewArgs),
    /// Create and rotate trust roots.
    Root {
        #[command(subcommand)]
        command: RootCommand,
    },
    /// Run the whole product end to end on embedded defaults.
    Demo {
        /// Keep the demo's working directory here instead of a temporary one.
        #[arg(long)]
        workdir: Option<PathBuf>,
        /// Where the mini program's JS runs.
        #[arg(long, value_enum, default_value_t = IsolationArg::Process)]
        isolation: IsolationArg,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// The management platform server.
    Platform {
        #[command(subcommand)]
        command: PlatformCommand,
    },
    /// Grayscale rollout tools.
    Rollout {
        #[command(subcommand)]
        command: RolloutCommand,
    },
    /// Check a platform token with GET /v1/me and store it with its server (mode 0600).
    ///
    /// The file is `credentials.json` in $MPKIT_CONFIG_DIR, else $XDG_CONFIG_HOME/mpkit,
    /// else ~/.config/mpkit. MPKIT_SERVER and MPKIT_TOKEN override it for every command
    /// (the stored token is only sent to the stored server).
    Login {
        /// The platform's base URL, e.g. https://platform.example.com.
        #[arg(long, value_name = "URL")]
        server: String,
        /// An API token of your account (a CI job may set MPKIT_TOKEN instead).
        #[arg(long, value_name = "TOKEN")]
        token: String,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Remove the stored server and token.
    Logout {
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Platform accounts (admins).
    Account {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Merchant and ISV workspaces.
    Workspace {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Workspace members, their roles, and Developers' assignments.
    Member {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Authorize an ISV workspace to act on a merchant's mini programs.
    Isv {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: IsvCommand,
    },
    /// Webhooks: release results POSTed to your server, signed with HMAC-SHA256 (Master).
    Webhook {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Developer keys that uploads must be signed with.
    Key {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Mini programs on the platform.
    App {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Uploaded versions of a mini program.
    Version {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: VersionCommand,
    },
    /// The release workflow: start, report, apply, review, pilot, grayscale, full, rollback.
    ///
    /// Every subcommand after `start` names its release with --release ID, or with
    /// --app A --target T for the one open release of A in T (not released, cancelled
    /// or rejected).
    Release {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: ReleaseCommand,
    },
    /// Target (super) apps and their reviewers.
    Target {
        #[command(flatten)]
        fmt: GlobalFmt,
        #[command(subcommand)]
        command: TargetCommand,
    },
    /// Download the QR code that launches a mini program in a target app (or a pilot's trial code).
    Qrcode {
        /// The mini program.
        #[arg(long)]
        app: String,
        /// The target app.
        #[arg(long)]
        target: String,
        /// A release in pilot testing: its trial code.
        #[arg(long, value_name = "ID")]
        release: Option<String>,
        /// Image format; default from --out's extension (.png), else svg.
        #[arg(long, value_enum)]
        format: Option<QrFormat>,
        /// Where to write the image.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Ask the platform which version a user gets (GET /v1/resolve); verify it with --root.
    Resolve {
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
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Why a user gets the version they get.
    Explain {
        /// The mini program.
        #[arg(long)]
        app: String,
        /// The target app.
        #[arg(long)]
        target: String,
        /// The user id.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Your notifications (review decisions of your releases).
    Inbox {
        #[command(flatten)]
        fmt: Fmt,
    },
    /// The platform's audit log (admins).
    Audit {
        /// Only the records of this object, e.g. release:ID or app:APPID.
        #[arg(long)]
        object: Option<String>,
        #[command(flatten)]
        fmt: Fmt,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AccountCommand {
    /// Create an account and print its API token (shown once).
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WorkspaceCommand {
    /// Create a workspace; you become its Master.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Merchant (owns mini programs) or ISV (develops them for merchants).
        #[arg(long, value_enum)]
        kind: WorkspaceKind,
    },
    /// The workspaces you are a member of, and your role in each.
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MemberCommand {
    /// Add an account to a workspace with a role (Master).
    Add {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The account id.
        #[arg(long)]
        account: String,
        /// Its role.
        #[arg(long, value_enum)]
        role: MemberRole,
    },
    /// Change a member's role (Master).
    Role {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The account id.
        #[arg(long)]
        account: String,
        /// The new role.
        #[arg(long, value_enum)]
        role: MemberRole,
    },
    /// Assign a mini program to a Developer.
    Assign {
        /// The mini program.
        #[arg(long)]
        app: String,
        /// The Developer's account id.
        #[arg(long)]
        account: String,
    },
    /// Remove a member from a workspace (Master; the last Master stays).
    Remove {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The account id.
        #[arg(long)]
        account: String,
    },
    /// A workspace's members and their roles.
    List {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum IsvCommand {
    /// Let an ISV workspace act on one or all of a merchant's mini programs (merchant Master).
    Authorize {
        /// The merchant workspace.
        #[arg(long)]
        workspace: String,
        /// The ISV workspace.
        #[arg(long, value_name = "ISV_WS")]
        isv: String,
        /// One mini program; all of the merchant's when absent.
        #[arg(long)]
        app: Option<String>,
        /// Allowed actions, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',', required = true)]
        actions: Vec<IsvAction>,
    },
    /// Revoke an authorization; it applies on the ISV's next call.
    Revoke {
        /// The authorization id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Register a webhook; prints its signing secret once.
    Add {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// Where events are POSTed (http or https; not a loopback or private address).
        #[arg(long)]
        url: String,
        /// Events to send, comma-separated (e.g. release.approved,release.rejected); all when absent.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
    },
    /// The workspace's webhooks (without secrets).
    List {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
    },
    /// Delete a webhook and its deliveries.
    Remove {
        /// The webhook id.
        id: String,
    },
    /// A webhook's latest deliveries with every attempt.
    Deliveries {
        /// The webhook id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Register a developer public key (the KEY.pub of `mpkit keygen`) with a workspace.
    Register {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The public key file (PEM or 64 hex digits).
        #[arg(long, value_name = "KEY.pub")]
        key: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AppCommand {
    /// Create a mini program in a merchant workspace.
    Create {
        /// The merchant workspace that owns it.
        #[arg(long)]
        workspace: String,
        /// Its appId (16 digits).
        #[arg(long)]
        app_id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The ISV workspace that develops it (third-party).
        #[arg(long, value_name = "ISV_WS")]
        developer: Option<String>,
    },
    /// The mini programs a workspace owns or develops that you can see.
    List {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
    },
    /// A mini program with its versions and releases.
    Show {
        /// The appId.
        app: String,
    },
    /// Take a mini program down from a target app (ends any pilot or grayscale).
    Takedown {
        /// The appId.
        app: String,
        /// The target app.
        #[arg(long)]
        target: String,
    },
    /// Credentials of the mini program's own server, which exchanges auth codes (Master or Owner).
    Secret {
        #[command(subcommand)]
        command: SecretCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretCommand {
    /// Create one; the secret is printed once and never again.
    Create {
        /// The appId.
        app: String,
        /// What it is for, e.g. "orders backend".
        #[arg(long)]
        name: String,
    },
    /// The mini program's secrets, without the secrets themselves.
    List {
        /// The appId.
        app: String,
    },
    /// Revoke one: it exchanges nothing from now on.
    Revoke {
        /// The appId.
        app: String,
        /// The secret's id (from `list`).
        #[arg(long)]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum VersionCommand {
    /// Upload a developer-signed bundle (its appId comes from the manifest).
    Upload {
        /// The bundle, from `mpkit pack`.
        bundle: PathBuf,
    },
    /// The uploaded versions of a mini program.
    List {
        /// The appId.
        #[arg(long)]
        app: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReleaseCommand {
    /// Start a release of an uploaded version into a target app (builds its package).
    Start {
        /// The appId.
        #[arg(long)]
        app: String,
        /// The target app.
        #[arg(long)]
        target: String,
        /// An uploaded version.
        #[arg(long)]
        version: String,
    },
    /// Attach a compatibility report (a JSON file).
    CompatReport {
        /// The report.
        file: PathBuf,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Apply for release (needs a compatibility report).
    Apply {
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Approve a release in review (a reviewer of the target app).
    Approve {
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Reject a release in review, with a reason (a reviewer of the target app).
    Reject {
        /// Why; the release's creator sees it.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Pilot testers.
    Testers {
        #[command(subcommand)]
        command: TestersCommand,
    },
    /// Complete pilot testing, or cancel the release while in pilot.
    Pilot {
        /// complete: the pilot passed; cancel: cancel the release.
        action: PilotAction,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Start or raise the grayscale to PERCENT (0.01% steps, only up), e.g. 20 or 12.5.
    Gray {
        /// The percentage.
        percent: String,
        /// The bucket salt, when the grayscale starts (the platform mints one
        /// otherwise); naming an earlier grayscale's salt keeps its cohort.
        #[arg(long)]
        salt: Option<String>,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Release to everyone.
    Full {
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Cancel the release (also ends a pilot or a grayscale).
    Cancel {
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Make a version that was fully released before the stable one again.
    Rollback {
        /// The appId.
        #[arg(long)]
        app: String,
        /// The target app.
        #[arg(long)]
        target: String,
        /// The version to return to.
        #[arg(long, value_name = "VERSION")]
        to: String,
    },
    /// A release and its state. With --app/--target and no open release, the latest one there.
    Status {
        #[command(flatten)]
        sel: ReleaseSel,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TestersCommand {
    /// Add testers: on an approved release this starts the pilot with them. In pilot,
    /// the platform has no merge: the given testers REPLACE the list (as `update` does).
    Add {
        #[command(flatten)]
        source: TesterSource,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Replace the tester list of a release in pilot from a file; rejected lines are printed.
    Update {
        /// One user id per line, or CSV with the id in the first column.
        #[arg(long)]
        file: PathBuf,
        #[command(flatten)]
        sel: ReleaseSel,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct TesterSource {
    /// A tester's user id (repeat).
    #[arg(long = "user", value_name = "ID", num_args = 1..)]
    pub(crate) users: Vec<String>,
    /// A tester file: one id per line, or CSV with the id in the first column.
    #[arg(long)]
    pub(crate) file: Option<PathBuf>,
}

/// Which release: --release ID, or --app and --target for the one open release there.
#[derive(Debug, Args)]
#[group(id = "which_release", required = true, multiple = true)]
pub(crate) struct ReleaseSel {
    /// The release id.
    #[arg(long, value_name = "ID", conflicts_with_all = ["app", "target"])]
    pub(crate) release: Option<String>,
    /// With --target: the one open release of this mini program in that target app.
    #[arg(long, requires = "target")]
    pub(crate) app: Option<String>,
    /// With --app: the target app.
    #[arg(long, requires = "app")]
    pub(crate) target: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TargetCommand {
    /// Add a target app with the JSAPI permissions it allows (admins).
    Create {
        /// Its id, e.g. demo.wallet.
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// JSAPI permission keys it allows, comma-separated (e.g. request,tradePay).
        #[arg(long, value_delimiter = ',')]
        allow: Vec<String>,
    },
    /// Every target app.
    List,
    /// The reviewers of a target app.
    Reviewer {
        #[command(subcommand)]
        command: ReviewerCommand,
    },
    /// The operators of a target app: accounts of its server, which issue auth codes.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OperatorCommand {
    /// Let an account issue auth codes for the target app's users (admins).
    Add {
        /// The target app.
        #[arg(long)]
        target: String,
        /// The account id.
        #[arg(long)]
        account: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReviewerCommand {
    /// Make an account a reviewer of a target app (admins).
    Add {
        /// The target app.
        #[arg(long)]
        target: String,
        /// The account id.
        #[arg(long)]
        account: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum WorkspaceKind {
    Merchant,
    Isv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum MemberRole {
    Master,
    Owner,
    Developer,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum IsvAction {
    Read,
    Upload,
    Release,
    Manage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PilotAction {
    Complete,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum QrFormat {
    Svg,
    Png,
}

macro_rules! names {
    ($($t:ty { $($v:ident => $s:literal),* $(,)? })*) => {$(
        impl $t {
            pub(crate) fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
        }
    )*};
}

names! {
    QrFormat { Svg => "svg", Png => "png" }
}

#[derive(Debug, Subcommand)]
pub(crate) enum PlatformCommand {
    /// Serve the platform's HTTP API (SQLite by default, PostgreSQL with --db postgres://...).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8470")]
        listen: String,
        /// sqlite://PATH (created when missing) or postgres://USER@HOST/DB.
        #[arg(long)]
        db: Option<String>,
        /// Bundles, packages and the platform's keys.
        #[arg(long, default_value = "platform-data")]
        storage: PathBuf,
        /// On first start, also write the bootstrap admin token here (mode 0600).
        #[arg(long)]
        admin_token_file: Option<PathBuf>,
        /// How long a signed policy is valid, in seconds (re-signed before it expires).
        #[arg(long, default_value_t = 24 * 3600)]
        policy_ttl_secs: i64,
        /// How old a cached policy may get before it is checked against the database, in
        /// milliseconds (several instances on one database; PostgreSQL also notifies at once).
        #[arg(long, default_value_t = 1000)]
        policy_revalidate_ms: u64,
        /// Attempts per webhook delivery before it is marked failed.
        #[arg(long, default_value_t = 8)]
        webhook_max_attempts: u32,
        /// The wait before a webhook delivery's first retry, in milliseconds (it doubles per
        /// attempt, up to an hour).
        #[arg(long, default_value_t = 10_000)]
        webhook_backoff_ms: u64,
        /// How long an auth code can be exchanged, in seconds (10 to 600).
        #[arg(long, default_value_t = 300)]
        auth_code_ttl_secs: i64,
        #[command(flatten)]
        s3: S3Args,
    },
}

/// Uploads and packages in an S3-compatible bucket instead of `<storage>/objects`. The key is
/// read from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, never from the command line.
#[derive(Debug, Args)]
pub(crate) struct S3Args {
    /// The bucket (it must exist; it is checked at start).
    #[arg(long, value_name = "BUCKET")]
    pub(crate) s3_bucket: Option<String>,
    /// The bucket's region.
    #[arg(long, default_value = "us-east-1", requires = "s3_bucket")]
    pub(crate) s3_region: String,
    /// An S3-compatible service's endpoint (default: AWS).
    #[arg(long, value_name = "URL", requires = "s3_bucket")]
    pub(crate) s3_endpoint: Option<String>,
    /// Allow a plain http:// endpoint (a service on a private network).
    #[arg(long, requires = "s3_endpoint")]
    pub(crate) s3_allow_http: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RolloutCommand {
    /// Print a user's grayscale bucket (0..9999 basis points) for a salt.
    Bucket {
        /// The grayscale's salt.
        #[arg(long)]
        salt: String,
        /// The user id.
        #[arg(long)]
        user: String,
        /// Also say whether the user is inside this percentage (e.g. 12.5).
        #[arg(long)]
        percent: Option<String>,
        #[command(flatten)]
        fmt: Fmt,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RootCommand {
    /// Create root.json and fresh keys for the root, publisher and policy roles.
    Init {
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
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Write root N+1, signed by a threshold of root N's keys and of its own.
    Rotate {
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
        #[command(flatten)]
        fmt: Fmt,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum IsolationArg {
    Process,
    Thread,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SignRole {
    Developer,
    Publisher,
}

#[derive(Debug, Args)]
pub(crate) struct Fmt {
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `--json` for a command family, accepted before or after the subcommand.
#[derive(Debug, Args)]
pub(crate) struct GlobalFmt {
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct TrustArgs {
    /// Trust these developer public keys (preview and dev mode).
    #[arg(long = "trust", value_name = "KEY.pub", num_args = 1..)]
    pub(crate) trust: Vec<PathBuf>,
    /// Trust this root; further roots are rotations applied in order.
    #[arg(long = "root", value_name = "root.json", num_args = 1..)]
    pub(crate) root: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub(crate) struct OptionalTrust {
    /// Trust these developer public keys.
    #[arg(long = "trust", value_name = "KEY.pub", num_args = 1..)]
    pub(crate) trust: Vec<PathBuf>,
    /// Trust this root; further roots are rotations applied in order.
    #[arg(long = "root", value_name = "root.json", num_args = 1..)]
    pub(crate) root: Vec<PathBuf>,
}

impl Command {
    pub(crate) fn json(&self) -> bool {
        match self {
            Command::Keygen { fmt, .. }
            | Command::Pack { fmt, .. }
            | Command::Verify { fmt, .. }
            | Command::Inspect { fmt, .. }
            | Command::Install { fmt, .. }
            | Command::Run { fmt, .. }
            | Command::Demo { fmt, .. }
            | Command::Login { fmt, .. }
            | Command::Logout { fmt }
            | Command::Qrcode { fmt, .. }
            | Command::Resolve { fmt, .. }
            | Command::Explain { fmt, .. }
            | Command::Inbox { fmt }
            | Command::Audit { fmt, .. } => fmt.json,
            Command::Account { fmt, .. }
            | Command::Workspace { fmt, .. }
            | Command::Member { fmt, .. }
            | Command::Isv { fmt, .. }
            | Command::Webhook { fmt, .. }
            | Command::Key { fmt, .. }
            | Command::App { fmt, .. }
            | Command::Version { fmt, .. }
            | Command::Release { fmt, .. }
            | Command::Target { fmt, .. } => fmt.json,
            Command::Root { command } => match command {
                RootCommand::Init { fmt, .. } | RootCommand::Rotate { fmt, .. } => fmt.json,
            },
            Command::Compat(a) => a.fmt.json,
            Command::Preview(a) => a.fmt.json,
            Command::Platform { .. } => false,
            Command::Rollout { command } => match command {
                RolloutCommand::Bucket { fmt, .. } => fmt.json,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn grammar_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
