//! Timing helpers shared by the bench binaries.

use std::future::Future;
use std::time::Instant;

/// Median nanoseconds per iteration over `batches` batches of `iters` iterations.
#[allow(dead_code)]
pub fn median_ns(batches: usize, iters: u32, mut f: impl FnMut()) -> f64 {
    median((0..batches).map(|_| {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        t.elapsed().as_nanos() as f64 / iters as f64
    }))
}

/// The same for an async body (not every bench binary uses it).
#[allow(dead_code)]
pub async fn median_ns_async<F, Fut>(batches: usize, iters: u32, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(batches);
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..iters {
            f().await;
        }
        samples.push(t.elapsed().as_nanos() as f64 / iters as f64);
    }
    median(samples.into_iter())
}

fn median(samples: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = samples.collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Runs a bench body on a multi-threaded tokio runtime.
pub fn block_on<F: Future<Output = ()>>(body: F) {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(body);
}
