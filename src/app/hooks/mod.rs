//! Reusable hooks: the app context with verbs, frame-batched redraws, ticks and ring buffers.

pub mod frame;
pub mod ring;
pub mod use_action;
pub mod use_app;

pub use frame::{now_ms, use_redraw, use_tick, FrameTrigger, Redraw};
pub use ring::Ring;
pub use use_action::{use_action, ActionHandle};
pub use use_app::{use_app, AppHandle};
