//! `mpkit-worker`: a mini program's isolation unit (its logic and its view)
//! and nothing else. An embedding app, `mpkit` and the sample wallet all
//! link WebKitGTK for their windows; re-entering them as a worker would load
//! those libraries in every worker. This executable links only the runtime,
//! so a worker starts faster and maps far less. `WorkerConfig::beside_current_exe`
//! picks it when it sits beside the embedding executable, which is re-entered
//! otherwise.

fn main() -> std::process::ExitCode {
    mpkit_host::enter_if_worker();
    eprintln!(
        "mpkit-worker runs a mini program for the app that starts it (mpkit, a wallet); it is started by mpkit, not by hand"
    );
    std::process::ExitCode::from(2)
}
