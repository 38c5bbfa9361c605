//! The uplink formatter: the user's `decodeUplink(input)` in JavaScript, or CayenneLPP when empty.

use yew::prelude::*;

use crate::app::components::Field;
use crate::app::hooks::use_action;
use crate::app::services::things_stack::TtsSession;

const EXAMPLE: &str =
    "function decodeUplink(input) {\n  return { data: { bytes: input.bytes.length, port: input.fPort } };\n}";

#[derive(Properties, PartialEq)]
pub struct FormatterEditorProps {
    pub session: TtsSession,
}

#[component]
pub fn FormatterEditor(props: &FormatterEditorProps) -> Html {
    let source = use_state(String::new);
    let action = use_action();
    let onsubmit = {
        let (s, source, a) = (props.session.clone(), source.clone(), action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match s.set_formatter(&source) {
                Ok(()) => a.run("formatter", async { Ok("new uplinks use this decoder".to_string()) }),
                Err(e) => a.fail(e, "formatter"),
            }
        })
    };
    html! {
        <form class="card" {onsubmit} aria-label="Uplink formatter" oninput={action.on_edit()} onchange={action.on_edit()}>
            <h3>{ "Uplink decoder" }</h3>
            <Field id="tts-formatter" label="JavaScript decodeUplink (empty: CayenneLPP)" rows={4} value={(*source).clone()}
                oninput={Callback::from({ let s = source.clone(); move |v| s.set(v) })} placeholder={EXAMPLE} error={action.error("formatter")} />
            <div class="actions">
                <button type="submit" class="secondary">{ "Use decoder" }</button>
                if let Some(m) = action.message() { <p class="ok" role="status">{ m }</p> }
            </div>
        </form>
    }
}
