//! The `mpkit` binary: a thin wrapper over [`mpkit::run_on`].

fn main() -> std::process::ExitCode {
    // Re-entered as a mini program's logic worker: run it and exit.
    mpkit_host::enter_if_worker();
    let code = mpkit::run_on(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        mpkit::Terminals::of_this_process(),
    );
    std::process::ExitCode::from(code)
}
