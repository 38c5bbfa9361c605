//! The connection status indicator: connecting, connected, reconnecting with a live countdown,
//! or failed with the reason in words.

use yew::prelude::*;

use crate::app::hooks::{now_ms, use_tick};
use crate::app::state::LinkStatus;

#[derive(Properties, PartialEq)]
pub struct StatusBadgeProps {
    pub status: LinkStatus,
}

#[component]
pub fn StatusBadge(props: &StatusBadgeProps) -> Html {
    let reconnecting = matches!(props.status, LinkStatus::Reconnecting { .. });
    use_tick(250, reconnecting);
    let (class, text, detail) = match &props.status {
        LinkStatus::Idle => ("idle", "not connected".to_string(), None),
        LinkStatus::Connecting => ("connecting", "connecting…".to_string(), None),
        LinkStatus::Connected => ("connected", "connected".to_string(), None),
        LinkStatus::Reconnecting { attempt, at_ms, reason } => {
            let secs = ((at_ms - now_ms()) / 1000.0).max(0.0).ceil();
            ("reconnecting", format!("reconnecting in {secs} s (attempt {attempt})"), Some(reason.clone()))
        }
        LinkStatus::Failed(reason) => ("failed", "failed".to_string(), Some(reason.clone())),
        LinkStatus::Closed => ("idle", "disconnected".to_string(), None),
        LinkStatus::Challenged(_) => ("connecting", "authenticating…".to_string(), None),
    };
    html! {
        <div class={classes!("status", class)} role="status" aria-live="polite">
            <span class="dot" aria-hidden="true"></span>
            <strong class="status-text">{ text }</strong>
            if let Some(d) = detail { <span class="status-detail">{ d }</span> }
        </div>
    }
}
