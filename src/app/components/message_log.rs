//! The generic page's message log: the newest messages first, coloured by the subscription that
//! matched, filtered by topic; payloads are text nodes, never HTML.

use yew::prelude::*;

use crate::app::services::generic::LogLine;
use crate::app::services::payload::clock;
use crate::session::topic::topic_matches;

/// Rows drawn at once: the log keeps more, the DOM stays small.
pub const VISIBLE_ROWS: usize = 100;
const MAX_PAYLOAD_CHARS: usize = 400;

#[derive(Properties, PartialEq)]
pub struct MessageLogProps {
    /// Newest first, already limited.
    pub lines: Vec<LogLine>,
    pub filter: AttrValue,
}

fn visible(filter: &str, topic: &str) -> bool {
    let f = filter.trim();
    f.is_empty() || if f.contains(['+', '#']) { topic_matches(f, topic) } else { topic.contains(f) }
}

/// The lines a filter lets through, newest first, at most `VISIBLE_ROWS`.
pub fn select_lines<'a>(lines: impl Iterator<Item = &'a LogLine>, filter: &str) -> Vec<LogLine> {
    lines.filter(|l| visible(filter, &l.topic)).take(VISIBLE_ROWS).cloned().collect()
}

#[component]
pub fn MessageLog(props: &MessageLogProps) -> Html {
    html! {
        <div class="log-wrap">
            <table class="log" aria-label="Messages">
                <thead><tr><th>{ "Time" }</th><th>{ "Topic" }</th><th>{ "Payload" }</th><th>{ "QoS" }</th></tr></thead>
                <tbody>
                    { for props.lines.iter().map(|l| {
                        let style = l.color.as_ref().map(|c| format!("border-left: 4px solid {c}"));
                        let text: String = if l.text.chars().count() > MAX_PAYLOAD_CHARS {
                            l.text.chars().take(MAX_PAYLOAD_CHARS).chain("…".chars()).collect()
                        } else {
                            l.text.clone()
                        };
                        html! {
                            <tr key={l.seq} {style}>
                                <td class="time">{ clock(l.at) }</td>
                                <td class="topic">{ &l.topic }</td>
                                <td class="payload">
                                    { text }
                                    if !l.properties.is_empty() {
                                        <details class="props">
                                            <summary>{ format!("MQTT 5 properties ({})", l.properties.len()) }</summary>
                                            <dl>{ for l.properties.iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd>{ v }</dd></> }) }</dl>
                                        </details>
                                    }
                                </td>
                                <td>{ l.qos.to_string() }{ if l.retain { " R" } else { "" } }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            if props.lines.is_empty() { <p class="empty">{ "No messages yet." }</p> }
        </div>
    }
}
