//! The context every page reads: the reducer state (profiles, selections, statuses) and the live
//! connections, one per page kind, which outlive page switches.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::app::services::connection::Live;
use crate::app::services::profiles;
use crate::app::state::{AppState, ProfileKind};

pub type LiveMap = Rc<RefCell<BTreeMap<ProfileKind, Live>>>;

#[derive(Clone)]
pub struct AppContext {
    pub state: UseReducerHandle<AppState>,
    pub live: LiveMap,
}

impl PartialEq for AppContext {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state && Rc::ptr_eq(&self.live, &other.live)
    }
}

#[derive(Properties, PartialEq)]
pub struct AppProviderProps {
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn AppProvider(props: &AppProviderProps) -> Html {
    let state = use_reducer(|| AppState { profiles: profiles::load(), ..Default::default() });
    let live: LiveMap = use_mut_ref(BTreeMap::new);
    let saved = state.profiles.clone();
    use_effect_with(saved, |profiles| {
        if let Err(e) = profiles::save(profiles) {
            web_sys::console::warn_1(&format!("profiles not saved: {e}").into());
        }
    });
    let context = AppContext { state, live };
    html! {
        <ContextProvider<AppContext> context={context}>{ props.children.clone() }</ContextProvider<AppContext>>
    }
}
