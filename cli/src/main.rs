//! The `mpkit` binary: a thin wrapper over [`mpkit::run`].

fn main() -> std::process::ExitCode {
    let code = mpkit::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::ExitCode::from(code)
}
