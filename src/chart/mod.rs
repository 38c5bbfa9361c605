//! The dashboard's chart data, without the browser: numeric series kept at a fixed time resolution
//! whatever the message rate (`series`: each slice of time keeps its minimum, maximum and last
//! value, so nothing is dropped to make room), where a line must break for a silence, and each
//! series' own value range. `src/app/chart.rs` only draws it.

pub mod series;

pub use series::{Bucket, Series, SeriesSet};
