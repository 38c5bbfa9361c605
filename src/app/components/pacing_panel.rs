//! How the session's limits pace the gateway's publishes, live (issue 22, point 3): which limit
//! holds the next publish back, how much of its window is used, when the next may go, and what
//! waits. The numbers are the device session's (`PacingStatus`, src/platforms/thingsboard/pacing.rs).

use yew::prelude::*;

use crate::platforms::thingsboard::pacing::{Binding, PacingStatus};

#[derive(Properties, PartialEq)]
pub struct PacingPanelProps {
    pub status: PacingStatus,
    /// The clock the status was taken at, in ms.
    pub now: u64,
}

/// The limit in the words the page uses.
fn limit_words(binding: Binding) -> &'static str {
    match binding {
        Binding::Messages => "messages per window",
        Binding::TelemetryMessages => "telemetry messages per window",
        Binding::TelemetryDataPoints => "telemetry data points per window",
        Binding::InFlight => "publishes awaiting their acknowledgement",
    }
}

#[component]
pub fn PacingPanel(props: &PacingPanelProps) -> Html {
    let s = &props.status;
    let (limit, used) = match (s.binding, &s.window) {
        (None, _) => ("none: publishes go at once".to_owned(), String::new()),
        (Some(Binding::InFlight), _) => {
            (limit_words(Binding::InFlight).to_owned(), format!("{} of {}", s.in_flight, s.max_in_flight))
        }
        (Some(b), Some(w)) => (
            format!("{} ({} per {} s)", limit_words(b), w.count, w.period_ms / 1000),
            format!("{} of {}", s.used, w.count),
        ),
        (Some(b), None) => (limit_words(b).to_owned(), s.used.to_string()),
    };
    let next = match s.next_at {
        Some(at) if at > props.now => format!("in {:.0} s", (at - props.now) as f64 / 1000.0),
        _ if s.binding == Some(Binding::InFlight) => "when an acknowledgement comes".to_owned(),
        _ => "now".to_owned(),
    };
    html! {
        <dl class="facts pacing" aria-label="Pacing">
            <dt>{ "Binding limit" }</dt><dd data-testid="pacing-limit">{ limit }</dd>
            if !used.is_empty() { <dt>{ "Used" }</dt><dd data-testid="pacing-used">{ used }</dd> }
            <dt>{ "Next publish" }</dt><dd data-testid="pacing-next">{ next }</dd>
            <dt>{ "Waiting" }</dt><dd data-testid="pacing-queued">{ format!("{} publishes · {} of {} awaiting acknowledgement", s.queued, s.in_flight, s.max_in_flight) }</dd>
        </dl>
    }
}
