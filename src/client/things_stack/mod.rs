//! The Things Stack on the async client: the application type the browser runs, and the payload
//! formatters it evaluates with the page's JavaScript. The rules are in `crate::platforms::things_stack`.

pub mod app;
pub mod js_formatter;

pub use app::{DownlinkHandle, ThingsStackApp};
pub use js_formatter::JsFormatter;
