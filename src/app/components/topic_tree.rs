//! The topics seen on the generic page, as a tree of their levels with message counts (on the
//! topic / with everything under it), the last value and its time. Selecting a level filters the
//! history to it and what is under it.

use yew::prelude::*;

use crate::app::services::payload::clock;
use crate::history::TreeRow;

#[derive(Properties, PartialEq)]
pub struct TopicTreeProps {
    pub rows: Vec<TreeRow>,
    pub topics: usize,
    pub unplaced: u64,
    /// The history's topic filter, to mark the selected level.
    pub filter: AttrValue,
    pub ontoggle: Callback<String>,
    pub onselect: Callback<String>,
}

#[component]
pub fn TopicTreeView(props: &TopicTreeProps) -> Html {
    html! {
        <section class="card" aria-label="Topic tree">
            <div class="row">
                <h3>{ "Topics" }</h3>
                <span class="counter" data-testid="topics">{ format!("{} topics", props.topics) }</span>
                if !props.filter.is_empty() {
                    <button type="button" class="secondary" onclick={props.onselect.reform(|_| String::new())}>{ "Show all topics" }</button>
                }
            </div>
            if props.unplaced > 0 {
                <p class="hint">{ format!("{} messages on topics past the tree's size are counted only in the history.", props.unplaced) }</p>
            }
            if props.rows.is_empty() { <p class="empty">{ "Topics appear here as messages arrive." }</p> }
            else {
                <div class="table-wrap">
                    <table class="tree" aria-label="Topics seen">
                        <thead><tr><th>{ "Level" }</th><th>{ "Messages" }</th><th>{ "Last value" }</th><th>{ "Last" }</th></tr></thead>
                        <tbody>{ for props.rows.iter().map(|r| row(r, props)) }</tbody>
                    </table>
                </div>
            }
        </section>
    }
}

fn row(r: &TreeRow, props: &TopicTreeProps) -> Html {
    let name = if r.name.is_empty() { "(empty level)".to_owned() } else { r.name.clone() };
    let toggle = r.has_children.then(|| {
        let path = r.path.clone();
        let label = format!("{} {}", if r.expanded { "Collapse" } else { "Expand" }, r.path);
        html! {
            <button type="button" class="toggle" aria-expanded={r.expanded.to_string()} aria-label={label}
                onclick={props.ontoggle.reform(move |_| path.clone())}>{ if r.expanded { "▾" } else { "▸" } }</button>
        }
    });
    let filter = r.filter();
    let selected = props.filter == filter.as_str();
    let onclick = props.onselect.reform(move |_| filter.clone());
    let (value, time) = match &r.last {
        Some((at, v)) => (v.clone(), clock(*at)),
        None => (String::new(), String::new()),
    };
    html! {
        <tr key={r.path.clone()} class={classes!(selected.then_some("selected"))} data-path={r.path.clone()}>
            <td class="level" style={format!("padding-left: {}rem", 0.5 + r.depth as f32 * 1.1)}>
                { toggle.unwrap_or_else(|| html! { <span class="toggle-space" /> }) }
                <button type="button" class="link" aria-pressed={selected.to_string()} title="Show this topic and those under it" {onclick}>{ name }</button>
            </td>
            <td class="count">{ format!("{} / {}", r.messages, r.total) }</td>
            <td class="payload">{ value }</td>
            <td class="time">{ time }</td>
        </tr>
    }
}
