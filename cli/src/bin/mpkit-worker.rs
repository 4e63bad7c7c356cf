//! `mpkit-worker`: a mini program's logic worker and nothing else. The `mpkit`
//! binary links WebKitGTK (for `mpkit preview`); re-entering it as a worker
//! would load those libraries in every worker. This executable links only the
//! logic layer, so a worker starts faster and maps far less. `mpkit` uses it
//! when it sits beside `mpkit`, and re-enters itself otherwise.

fn main() -> std::process::ExitCode {
    mpkit_host::logic::worker::enter_if_worker();
    eprintln!(
        "mpkit-worker runs mini program logic for mpkit; it is started by mpkit, not by hand"
    );
    std::process::ExitCode::from(2)
}
