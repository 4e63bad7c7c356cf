//! The platform's own HTTP/1 server (issue 22, item 8): `axum::serve` has
//! no header timeout and no connection cap, so slow and idle sockets were
//! held forever. Here each connection must send its request headers within
//! `header_timeout` (which also closes sockets idle between requests), at
//! most `max_connections` are served at once (more wait in the listen
//! backlog), and a failed accept (out of file descriptors) backs off
//! instead of spinning. Each request carries its peer address for the rate
//! limits.

use crate::Platform;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

impl Platform {
    /// Serves the API on `listener` until `shutdown` completes (then stops
    /// accepting; connections in flight finish on their own).
    pub async fn serve(
        self: &Arc<Platform>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let router = self.router();
        let permits = Arc::new(Semaphore::new(self.config.max_connections.max(1)));
        let header_timeout = self.config.header_timeout;
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                () = &mut shutdown => return Ok(()),
                p = permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return Ok(()),
                },
            };
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => return Ok(()),
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and the like: let connections finish.
                        tracing::warn!(error = %e, "accept failed; backing off");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let router = router.clone();
            tokio::spawn(async move {
                let svc = tower::service_fn(
                    move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(ConnectInfo(peer));
                        router.clone().oneshot(req.map(axum::body::Body::new))
                    },
                );
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
                let _ = conn.await;
                drop(permit);
            });
        }
    }
}
