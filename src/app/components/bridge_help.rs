//! How to reach the real platform: the exact WebSocket bridge command for a profile's kind.

use yew::prelude::*;

use crate::app::services::profiles::bridge_help;
use crate::app::state::ProfileKind;

#[derive(Properties, PartialEq)]
pub struct BridgeHelpProps {
    pub kind: ProfileKind,
}

#[component]
pub fn BridgeHelp(props: &BridgeHelpProps) -> Html {
    let (command, text) = bridge_help(props.kind);
    html! {
        <details class="bridge-help">
            <summary>{ "Reaching the real platform" }</summary>
            <p>{ text }</p>
            <pre class="command"><code>{ command }</code></pre>
            <p class="hint">{ "Install it with apt-get install websockify (or pip install websockify). The simulator's ready-made profiles need no bridge." }</p>
        </details>
    }
}
