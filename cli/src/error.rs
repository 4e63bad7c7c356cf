//! The CLI's own failures, and how any failure is told: each cause once.

/// A failure of the CLI itself with a stable code (`not_logged_in`,
/// `no_open_release`, ...), for `--json` output.
#[derive(Debug)]
pub(crate) struct Coded {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Coded {
    pub(crate) fn err(code: &'static str, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Coded {
            code,
            message: message.into(),
        })
    }
}

impl std::fmt::Display for Coded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Coded {}

/// A failure whose details the command already printed (e.g. `mpkit run --json`),
/// so only the exit code and a stderr line remain to be given.
#[derive(Debug)]
pub(crate) struct Reported(pub(crate) String);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reported {}

/// The error and its causes, `: `-separated, each cause once. Many errors
/// print their source in their own message (`#[error("...: {0}")]` with
/// `#[source]`), so anyhow's `{:#}` would print that cause twice; a cause
/// whose text the message so far already holds is left out.
pub(crate) fn causes(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("create {path}: {source}")]
        Io {
            path: String,
            #[source]
            source: std::io::Error,
        },
    }

    #[test]
    fn a_cause_already_in_the_message_is_told_once() {
        let io = std::io::Error::from_raw_os_error(17);
        let e = anyhow::Error::new(Outer::Io {
            path: "k.key".into(),
            source: io,
        });
        assert_eq!(causes(&e), "create k.key: File exists (os error 17)");
        // anyhow's own rendering says it twice.
        assert_eq!(
            format!("{e:#}"),
            "create k.key: File exists (os error 17): File exists (os error 17)"
        );
        // A context that does not repeat its cause keeps it.
        let e =
            anyhow::Error::new(std::io::Error::from_raw_os_error(2)).context("reading root.json");
        assert_eq!(
            causes(&e),
            "reading root.json: No such file or directory (os error 2)"
        );
    }
}
