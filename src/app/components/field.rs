//! A labelled text input (or textarea) with its error shown right under it.

use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FieldProps {
    /// The DOM id, unique on the page; the label points at it.
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub oninput: Callback<String>,
    #[prop_or_default]
    pub error: Option<String>,
    #[prop_or(AttrValue::Static("text"))]
    pub input_type: AttrValue,
    #[prop_or_default]
    pub placeholder: AttrValue,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    /// Rows > 0 makes it a textarea.
    #[prop_or_default]
    pub rows: u32,
    #[prop_or_default]
    pub class: Classes,
}

#[component]
pub fn Field(props: &FieldProps) -> Html {
    let error_id = format!("{}-error", props.id);
    let invalid = props.error.is_some();
    let described = invalid.then(|| AttrValue::from(error_id.clone()));
    let control = if props.rows > 0 {
        let oninput = props.oninput.reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
        html! {
            <textarea id={props.id.clone()} rows={props.rows.to_string()} value={props.value.clone()} {oninput}
                placeholder={props.placeholder.clone()} spellcheck="false"
                aria-invalid={invalid.to_string()} aria-describedby={described} />
        }
    } else {
        let oninput = props.oninput.reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
        html! {
            <input id={props.id.clone()} type={props.input_type.clone()} value={props.value.clone()} {oninput}
                placeholder={props.placeholder.clone()} spellcheck="false"
                aria-invalid={invalid.to_string()} aria-describedby={described} />
        }
    };
    html! {
        <div class={classes!("field", invalid.then_some("invalid"), props.class.clone())}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            { control }
            if let Some(h) = &props.hint { <small class="hint">{ h.clone() }</small> }
            if let Some(e) = &props.error { <p class="field-error" id={error_id} role="alert">{ e.clone() }</p> }
        </div>
    }
}
