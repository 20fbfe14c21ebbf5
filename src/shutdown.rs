//! Shutdown: SIGINT or SIGTERM (how services are stopped) raise one stop flag that the serving,
//! the background tasks and a digest round wait on.

use tokio::sync::watch;

/// The stop flag, raised on the first SIGINT or SIGTERM. The signals are taken over before this
/// returns, so one that comes at any later moment (during a slow start too) takes the shutdown
/// path instead of killing the process. Must be called inside a tokio runtime.
pub fn on_signal() -> anyhow::Result<(watch::Sender<bool>, watch::Receiver<bool>)> {
    let (raise, stop) = watch::channel(false);
    let signalled = signal()?;
    let flag = raise.clone();
    tokio::spawn(async move {
        signalled.await;
        tracing::info!("stopping: finishing the work in flight");
        let _ = flag.send(true);
    });
    Ok((raise, stop))
}

/// Listens for SIGINT and SIGTERM now; the future resolves on the first of them.
#[cfg(unix)]
fn signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
