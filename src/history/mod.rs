//! The dashboard's message history, without the browser: which messages a filter lets through
//! (`filter`), a JSON payload indented as sent (`indent`), the topics seen as a tree with counts and last values (`tree`), and the history
//! written out as NDJSON or CSV (`export`). Plain data in, plain data out, tested natively; the
//! dashboard (`src/app`) only draws it.

pub mod export;
pub mod filter;
pub mod indent;
pub mod tree;

pub use export::{Export, PayloadForm};
pub use filter::HistoryFilter;
pub use tree::{TopicTree, TreeRow};
