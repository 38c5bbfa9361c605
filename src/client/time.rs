//! Waiting in the browser without blocking: a sleep on setTimeout, and a deadline for any future.
//! Used by the dashboard's services and the benchmark entry points.

use core::future::Future;

use futures_util::future::{select, Either};
use wasm_bindgen_futures::JsFuture;

use crate::transport::clock;

/// Resolves after `ms` milliseconds, on the page's timer clock (unthrottled in background tabs).
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        clock::schedule(
            u64::from(ms),
            false,
            Box::new(move || {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }),
        );
    });
    let _ = JsFuture::from(promise).await;
}

/// `Some(output)` if `fut` finishes within `ms`, `None` if the deadline passes first.
pub async fn timeout<F: Future>(ms: u32, fut: F) -> Option<F::Output> {
    let fut = core::pin::pin!(fut);
    let sleep = core::pin::pin!(sleep_ms(ms));
    match select(fut, sleep).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}
