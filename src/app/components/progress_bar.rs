//! A labelled progress bar with its numbers in words beside it.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProgressBarProps {
    pub label: AttrValue,
    pub value: f64,
    pub max: f64,
    #[prop_or_default]
    pub detail: AttrValue,
}

#[component]
pub fn ProgressBar(props: &ProgressBarProps) -> Html {
    let max = props.max.max(1.0);
    html! {
        <div class="progress">
            <progress aria-label={props.label.clone()} value={props.value.min(max).to_string()} max={max.to_string()}></progress>
            <span class="progress-detail">{ props.detail.clone() }</span>
        </div>
    }
}
