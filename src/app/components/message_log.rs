//! The generic page's message history: newest first, coloured by the subscription that matched,
//! as a virtualised list: the scroll area is as tall as every message the filter lets through, and
//! only the rows in view (and a few around them) are in the DOM, so tens of thousands cost what
//! thirty do. A row's time opens the message in full. Payloads are text nodes, never HTML.

use web_sys::Element;
use yew::prelude::*;

use crate::app::services::generic::LogLine;
use crate::app::services::payload::clock;

/// Each row's height in pixels (`www/app.css`, `.log.virtual tr`): rows are one line, so the list
/// can place them by index.
pub const ROW_PX: usize = 28;
/// The scroll area's height in pixels.
const VIEW_PX: usize = 448;
/// Rows drawn beyond those in view, above and below.
const OVERSCAN: usize = 8;
/// Characters of a payload in its row; the detail view has all of it.
const ROW_PAYLOAD_CHARS: usize = 300;

/// The rows to draw for a scroll position: the first index and how many.
pub fn window(scroll_top: f64) -> (usize, usize) {
    let first = (scroll_top.max(0.0) as usize) / ROW_PX;
    let start = first.saturating_sub(OVERSCAN);
    (start, VIEW_PX / ROW_PX + 2 * OVERSCAN)
}

#[derive(Properties, PartialEq)]
pub struct MessageLogProps {
    /// The rows drawn, newest first, from index `start` of the `total` the filter lets through.
    pub lines: Vec<LogLine>,
    pub start: usize,
    pub total: usize,
    pub selected: Option<u64>,
    /// The scroll position, in pixels.
    pub onscroll: Callback<f64>,
    pub onselect: Callback<u64>,
}

#[component]
pub fn MessageLog(props: &MessageLogProps) -> Html {
    let onscroll = props.onscroll.reform(|e: Event| e.target_unchecked_into::<Element>().scroll_top() as f64);
    let below = props.total.saturating_sub(props.start + props.lines.len());
    // As tall as the rows (and the header), up to the view: a short history leaves no empty box.
    let height = ((props.total + 1) * ROW_PX + 4).clamp(3 * ROW_PX, VIEW_PX);
    let space = format!("padding-top: {}px; padding-bottom: {}px", props.start * ROW_PX, below * ROW_PX);
    html! {
        <div class="log-wrap virtual" style={format!("height: {height}px")} {onscroll} tabindex="0"
            aria-label="Message history, newest first">
            <div style={space}>
                <table class="log virtual" aria-label="Messages" aria-rowcount={(props.total + 1).to_string()}>
                    <thead><tr><th>{ "Time" }</th><th>{ "Topic" }</th><th>{ "Payload" }</th><th>{ "QoS" }</th></tr></thead>
                    <tbody>
                        { for props.lines.iter().enumerate().map(|(i, l)| row(l, props.start + i, props)) }
                    </tbody>
                </table>
            </div>
            if props.total == 0 { <p class="empty">{ "No messages yet." }</p> }
        </div>
    }
}

fn row(l: &LogLine, index: usize, props: &MessageLogProps) -> Html {
    let style = l.color.as_ref().map(|c| format!("border-left: 4px solid {c}"));
    let text: String = match l.text.char_indices().nth(ROW_PAYLOAD_CHARS) {
        Some((end, _)) => format!("{}…", &l.text[..end]),
        None => l.text.to_string(),
    };
    let seq = l.seq;
    let onclick = props.onselect.reform(move |_| seq);
    let class = classes!((props.selected == Some(seq)).then_some("selected"));
    html! {
        <tr key={seq} {class} {style} aria-rowindex={(index + 2).to_string()}>
            <td class="time"><button type="button" class="link" {onclick} title="Open this message in full">{ clock(l.at) }</button></td>
            <td class="topic">{ &l.topic }</td>
            <td class="payload">{ text }</td>
            <td>{ l.qos.to_string() }{ if l.retain { " R" } else { "" } }{ if l.properties.is_empty() { "" } else { " ⁵" } }</td>
        </tr>
    }
}
