//! CloudPlugs page: the enrollment wizard, publishing to a channel, wildcard subscriptions with a
//! live record list, and properties set/get — with CloudPlugs' known limit stated plainly.

use yew::prelude::*;

use crate::app::components::{CloudplugsData, CloudplugsProperties, ConnectionBar, EnrollmentWizard};
use crate::app::hooks::{use_app, use_redraw};
use crate::app::services::cloudplugs::CloudPlugsSession;
use crate::app::services::connection::Live;
use crate::app::state::ProfileKind;

#[component]
pub fn CloudPlugsPage() -> Html {
    let app = use_app();
    let state = app.state();
    let session = match app.live(ProfileKind::CloudPlugs) {
        Some(Live::CloudPlugs(s)) => Some(s),
        _ => None,
    };
    let url = state
        .selected_profile(ProfileKind::CloudPlugs)
        .map(|p| p.url.clone())
        .unwrap_or_else(|| format!("{}/mqtt/cloudplugs", crate::app::services::profiles::simulator_base()));
    html! {
        <div class="page cloudplugs">
            <ConnectionBar kind={ProfileKind::CloudPlugs} />
            <aside class="card notice" role="note">
                <strong>{ "Known limit: " }</strong>
                { "CloudPlugs cannot report a denied PUBLISH or SUBSCRIBE. It checks permissions per action and MQTT 3.1.1 has no way to say no, so a refused publish still looks sent and a refused subscription still looks granted. Check with a subscription that should see your own data." }
            </aside>
            if let Some(s) = session { <PlugLive session={s} /> }
            <EnrollmentWizard url={url} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct PlugLiveProps {
    session: CloudPlugsSession,
}

#[component]
fn PlugLive(props: &PlugLiveProps) -> Html {
    use_redraw(Some(props.session.redraw.clone()));
    let store = &props.session.store;
    let records: Vec<_> = store.records.borrow().newest().take(100).cloned().collect();
    let subscriptions = store.subscriptions.borrow().clone();
    html! {
        <>
            <p class="hint">{ format!("Logged in as {}", props.session.device.plug_id().unwrap_or("an account")) }</p>
            <div class="columns">
                <CloudplugsData session={props.session.clone()} {records} {subscriptions} />
            </div>
            <CloudplugsProperties session={props.session.clone()} />
        </>
    }
}
