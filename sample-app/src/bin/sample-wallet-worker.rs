//! `sample-wallet-worker`: the sample wallet's logic worker. The wallet links
//! WebKitGTK for its window mode; a worker that re-entered the wallet would
//! load those libraries too. This executable links only the logic layer, and
//! the wallet points `WorkerConfig::exe` at it when it sits beside the wallet.

fn main() -> std::process::ExitCode {
    mpkit_host::logic::worker::enter_if_worker();
    eprintln!(
        "sample-wallet-worker runs mini program logic for sample-wallet; it is not run by hand"
    );
    std::process::ExitCode::from(2)
}
