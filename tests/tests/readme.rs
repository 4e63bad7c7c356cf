//! The README works when followed literally: every ```sh block in it runs
//! here, in order, in one `bash -euo pipefail` session (as a user types them
//! into one shell), in a fresh directory, with the freshly built `mpkit` and
//! `mpkit-worker` on PATH, `MPKIT_SRC` naming this checkout and a fresh HOME,
//! as the README tells the user to set things up. Blocks that need a server
//! start the platform themselves on 127.0.0.1, as the README does; blocks that
//! open windows get the display the test suite runs under (or `xvfb-run -a`).
//!
//! A new ```sh block is run without anything added here. A shell block this
//! test cannot run (```bash, ```console, ```sh with other words, a block with
//! no language at all) fails it with its line, instead of being skipped. The
//! one exception is marked ```sh ci: the Quick start, which is what CI itself
//! runs (`./scripts/demo`, `./scripts/test`); only that block may carry it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the whole README may take.
const LIMIT: Duration = Duration::from_secs(600);

/// Languages that mean "commands for a shell".
const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "shell",
    "zsh",
    "console",
    "terminal",
    "sh-session",
    "shell-session",
    "shellsession",
    "bash-session",
];

/// A fenced block: the line of its opening fence (1-based), its info string
/// and its lines.
#[derive(Debug, Clone)]
struct Block {
    line: usize,
    info: String,
    body: Vec<String>,
}

/// The README's fenced blocks, and its `## ` headings with their lines.
#[derive(Debug)]
struct Doc {
    blocks: Vec<Block>,
    headings: Vec<(usize, String)>,
}

fn parse(text: &str) -> Result<Doc, String> {
    let mut doc = Doc {
        blocks: Vec::new(),
        headings: Vec::new(),
    };
    // The fence that opened the current block, and the block.
    let mut open: Option<(String, Block)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_start_matches(' ');
        let indent = raw.len() - line.len();
        let fence_char = line
            .chars()
            .next()
            .filter(|c| indent <= 3 && (*c == '`' || *c == '~'));
        let fence_len = fence_char.map_or(0, |c| line.chars().take_while(|x| *x == c).count());
        match open.take() {
            Some((fence, mut block)) => {
                let closes = fence_len >= fence.len()
                    && line.starts_with(fence.as_str())
                    && line.trim_end().chars().all(|c| Some(c) == fence_char);
                if closes {
                    doc.blocks.push(block);
                } else {
                    block.body.push(raw.to_owned());
                    open = Some((fence, block));
                }
            }
            None if fence_len >= 3 => {
                let fence: String = line.chars().take(fence_len).collect();
                let info = line[fence.len()..].trim().to_owned();
                open = Some((
                    fence,
                    Block {
                        line: n,
                        info,
                        body: Vec::new(),
                    },
                ));
            }
            None => {
                if let Some(h) = raw.strip_prefix("## ") {
                    doc.headings.push((n, h.trim().to_owned()));
                }
            }
        }
    }
    if let Some((_, b)) = open {
        return Err(format!("README.md:{}: this block is never closed", b.line));
    }
    Ok(doc)
}

/// What the README asks of this test: the blocks to run, in order.
#[derive(Debug)]
struct Plan {
    run: Vec<Block>,
}

/// Checks every block and the Quick start; every problem with its line.
fn plan(text: &str) -> Result<Plan, Vec<String>> {
    let doc = parse(text).map_err(|e| vec![e])?;
    let mut problems = Vec::new();
    let mut run = Vec::new();
    let mut ci = Vec::new();
    for b in &doc.blocks {
        let lang = b
            .info
            .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
            .next()
            .unwrap_or("");
        if lang.is_empty() {
            problems.push(format!(
                "README.md:{}: a block without a language: label it (```sh for commands this test runs, ```text for output)",
                b.line
            ));
        } else if SHELLS.contains(&lang.to_ascii_lowercase().as_str()) {
            match b.info.as_str() {
                "sh" => run.push(b.clone()),
                "sh ci" => ci.push(b.clone()),
                other => problems.push(format!(
                    "README.md:{}: a ```{other} block this test cannot run: write ```sh (run here, in order) or ```sh ci (what CI itself runs: the Quick start only)",
                    b.line
                )),
            }
        }
    }
    // The first section is a Quick start of exactly two commands: the one
    // block marked `sh ci`.
    let section = |line: usize| doc.headings.iter().rev().find(|(h, _)| *h < line);
    match doc.headings.first() {
        Some((_, h)) if h == "Quick start" => {}
        other => problems.push(format!(
            "README.md: the first section must be \"Quick start\", not {other:?}"
        )),
    }
    for b in &ci {
        let in_quick_start = section(b.line).map(|(_, h)| h.as_str()) == Some("Quick start");
        if !in_quick_start || ci.len() > 1 {
            problems.push(format!(
                "README.md:{}: only the Quick start's block is ```sh ci (what CI runs); make this one ```sh so that it runs here",
                b.line
            ));
        }
        let commands: Vec<&str> = b
            .body
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        if commands != ["./scripts/demo", "./scripts/test"] {
            problems.push(format!(
                "README.md:{}: the Quick start is exactly ./scripts/demo and ./scripts/test, not {commands:?}",
                b.line
            ));
        }
    }
    if ci.is_empty() {
        problems.push("README.md: the Quick start's block is ```sh ci".to_owned());
    }
    let first = doc.headings.first().map_or(usize::MAX, |(l, _)| *l);
    for b in doc.blocks.iter().filter(|b| b.line < first) {
        problems.push(format!(
            "README.md:{}: a block before the Quick start",
            b.line
        ));
    }
    if problems.is_empty() {
        Ok(Plan { run })
    } else {
        Err(problems)
    }
}

/// Marks the start of a block on stderr, from the line of its fence.
const MARK: &str = "::readme block at README.md:";

/// One bash script whose line N is the README's line N: the blocks' lines
/// where they stand, a marker on each opening fence, nothing elsewhere. So
/// bash's own messages and the ERR trap name README lines.
fn script(text: &str, plan: &Plan) -> String {
    let mut lines = vec![String::new(); text.lines().count()];
    for b in &plan.run {
        lines[b.line - 1] = format!("__readme_block {}", b.line);
        for (i, l) in b.body.iter().enumerate() {
            lines[b.line + i] = l.clone();
        }
    }
    assert!(
        plan.run.iter().all(|b| b.line > 1),
        "README.md:1 holds the script's preamble"
    );
    lines[0] = format!(
        "trap 's=$?; echo \"README.md:$LINENO: this command failed (exit $s)\" >&2' ERR; \
         __readme_block() {{ echo \"{MARK}$1\" >&2; }}"
    );
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// The blocks that started, in order, from the session's log.
fn started(log: &str) -> Vec<usize> {
    log.lines()
        .filter_map(|l| l.strip_prefix(MARK))
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// Stops the session and anything it left running (the platform it started
/// in the background): the whole process group.
fn stop_group(child: &mut std::process::Child) {
    let pid = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::TERM);
    std::thread::sleep(Duration::from_millis(300));
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.wait();
}

fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[test]
fn every_shell_block_of_the_readme_runs_in_order_in_a_fresh_directory() {
    let repo = mpkit_testkit::repo_dir();
    let text = std::fs::read_to_string(repo.join("README.md")).expect("README.md");
    let plan = plan(&text).unwrap_or_else(|p| panic!("\n{}", p.join("\n")));
    assert!(!plan.run.is_empty(), "the README has blocks to run");
    for s in ["scripts/demo", "scripts/test"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(repo.join(s))
            .expect(s)
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "the Quick start's {s} is executable");
    }

    // What the README asks the user to have: mpkit (and its worker) on PATH.
    let built = mpkit_testkit::cargo_bins(&[("mpkit", "mpkit"), ("mpkit-host", "mpkit-worker")]);
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    for b in ["mpkit", "mpkit-worker"] {
        std::os::unix::fs::symlink(built.join(b), bin.join(b)).expect("link");
    }
    let work = tmp.path().join("work");
    let home = tmp.path().join("home");
    let meta = tmp.path().join("session");
    for d in [&work, &home, &meta] {
        std::fs::create_dir(d).expect("mkdir");
    }
    let script_path = meta.join("README.md");
    std::fs::write(&script_path, script(&text, &plan)).expect("script");
    let log_path = meta.join("log");
    let log = std::fs::File::create(&log_path).expect("log");

    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.clone()];
    paths.extend(std::env::split_paths(&path));
    // Windows need a display: the suite's (it runs under xvfb-run), or one of our own.
    let mut cmd = if std::env::var_os("DISPLAY").is_some() {
        Command::new("bash")
    } else {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 1280x1024x24", "bash"]);
        c
    };
    cmd.args(["-euo", "pipefail"])
        .arg(&script_path)
        .current_dir(&work)
        .env("PATH", std::env::join_paths(paths).expect("PATH"))
        .env("HOME", &home)
        .env("MPKIT_SRC", &repo)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
    // Nothing from this process's own environment that the CLI or the
    // desktop would read instead of the fresh HOME.
    for v in [
        "MPKIT_SERVER",
        "MPKIT_TOKEN",
        "MPKIT_CONFIG_DIR",
        "MPKIT_LOG",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
    ] {
        cmd.env_remove(v);
    }
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    let began = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if began.elapsed() > LIMIT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    stop_group(&mut child);
    let out = std::fs::read_to_string(&log_path).unwrap_or_default();
    let ran = started(&out);
    let at = ran.last().map_or(String::from("before any block"), |l| {
        format!("in the block at README.md:{l}")
    });
    match status {
        None => panic!(
            "the README's blocks did not finish within {LIMIT:?}: stopped {at}\n{}",
            tail(&out, 60)
        ),
        Some(s) if !s.success() => panic!(
            "the README failed {at} ({s}); what it printed last:\n{}",
            tail(&out, 60)
        ),
        Some(_) => {}
    }
    let want: Vec<usize> = plan.run.iter().map(|b| b.line).collect();
    assert_eq!(ran, want, "every block ran, in order\n{}", tail(&out, 40));
}

mod checks {
    //! The checks themselves, on small READMEs of their own.

    use super::*;

    const QUICK: &str = "# x\n\n## Quick start\n\n```sh ci\n./scripts/demo\n./scripts/test   # all\n```\n\n## Use\n\n";

    fn problems(extra: &str) -> Vec<String> {
        plan(&format!("{QUICK}{extra}")).err().unwrap_or_default()
    }

    #[test]
    fn sh_blocks_are_run_and_other_languages_left_alone() {
        let p = plan(&format!(
            "{QUICK}```sh\nmpkit keygen --out k\n```\n\n```rust,no_run\nfn main() {{}}\n```\n\n```text\nout\n```\n"
        ))
        .expect("a good README");
        assert_eq!(p.run.len(), 1);
        assert_eq!(p.run[0].line, 12);
        assert_eq!(p.run[0].body, ["mpkit keygen --out k"]);
    }

    #[test]
    fn a_shell_block_this_test_cannot_run_fails_with_its_line() {
        for (fence, line) in [
            ("```bash", 12),
            ("```console", 12),
            ("```sh linux", 12),
            ("```Shell", 12),
            ("~~~bash", 12),
        ] {
            let close = if fence.starts_with('~') { "~~~" } else { "```" };
            let p = problems(&format!("{fence}\nmpkit keygen\n{close}\n"));
            assert_eq!(p.len(), 1, "{fence}: {p:?}");
            assert!(
                p[0].starts_with(&format!("README.md:{line}: ")),
                "{fence}: {p:?}"
            );
        }
        let p = problems("```\nmpkit keygen\n```\n");
        assert!(
            p.len() == 1 && p[0].starts_with("README.md:12: a block without a language"),
            "{p:?}"
        );
        let p = problems("```sh\nmpkit keygen\n");
        assert_eq!(p, ["README.md:12: this block is never closed"]);
    }

    #[test]
    fn only_the_quick_start_is_ci_and_it_is_two_commands() {
        let p = problems("```sh ci\n./scripts/demo\n./scripts/test\n```\n");
        assert!(
            p.iter()
                .any(|x| x.starts_with("README.md:12: only the Quick start")),
            "{p:?}"
        );
        let p = plan("# x\n\n## Quick start\n\n```sh ci\n./scripts/demo\n```\n")
            .expect_err("one command");
        assert!(
            p[0].contains("exactly ./scripts/demo and ./scripts/test"),
            "{p:?}"
        );
        let p = plan("# x\n\n## Install\n\n```sh ci\n./scripts/demo\n./scripts/test\n```\n")
            .expect_err("not first");
        assert!(
            p.iter()
                .any(|x| x.contains("the first section must be \"Quick start\"")),
            "{p:?}"
        );
        let p = plan("# x\n\n## Quick start\n\n```sh\n./scripts/demo\n./scripts/test\n```\n")
            .expect_err("unmarked");
        assert!(p.iter().any(|x| x.contains("block is ```sh ci")), "{p:?}");
    }

    #[test]
    fn a_heading_inside_a_block_is_not_a_section() {
        let p = plan(&format!("{QUICK}```sh\n## not a heading\necho hi\n```\n")).expect("fine");
        assert_eq!(p.run.len(), 1);
    }

    #[test]
    fn the_script_keeps_the_readmes_line_numbers_and_stops_at_the_first_failure() {
        let text = format!(
            "{QUICK}```sh\necho one > one.txt\n```\n\ntext\n\n```sh\nfalse\necho never > two.txt\n```\n"
        );
        let p = plan(&text).expect("plan");
        let s = script(&text, &p);
        assert_eq!(s.lines().count(), text.lines().count());
        assert_eq!(s.lines().nth(12), Some("echo one > one.txt"));
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("README.md"), &s).expect("write");
        let out = Command::new("bash")
            .args(["-euo", "pipefail", "README.md"])
            .current_dir(dir.path())
            .output()
            .expect("bash");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert_eq!(started(&err), [12, 18], "{err}");
        assert!(
            err.contains("README.md:19: this command failed (exit 1)"),
            "{err}"
        );
        assert!(dir.path().join("one.txt").is_file());
        assert!(
            !dir.path().join("two.txt").exists(),
            "nothing after a failure"
        );
    }

    #[test]
    fn the_real_readme_passes_the_checks() {
        let text = std::fs::read_to_string(mpkit_testkit::repo_dir().join("README.md"))
            .expect("README.md");
        let p = plan(&text).unwrap_or_else(|p| panic!("\n{}", p.join("\n")));
        assert!(p.run.len() >= 5, "{p:?}");
    }
}
