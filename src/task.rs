//! Spawning with one task type per output. Futures and blocking closures are boxed before
//! they reach tokio, whose task code (harness, cell, scheduling hooks, drop glue) is otherwise
//! compiled once per future or closure type: issue 14 counted 54 more such types in an app with
//! the plugin, several kB each. The boxing costs one allocation per task.

use std::future::Future;
use std::pin::Pin;

/// A boxed `Send` future.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// `future`, boxed: for the shell's runtime `spawn` and `JoinSet::spawn`.
pub(crate) fn boxed<T>(future: impl Future<Output = T> + Send + 'static) -> BoxFuture<T> {
    Box::pin(future)
}

/// `tokio::spawn` of `future`, boxed.
pub(crate) fn spawn<T: Send + 'static>(
    future: impl Future<Output = T> + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    tokio::spawn(boxed(future))
}

/// `tokio::task::spawn_blocking` of `f`, boxed.
pub(crate) fn spawn_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    let f: Box<dyn FnOnce() -> T + Send> = Box::new(f);
    tokio::task::spawn_blocking(f)
}
