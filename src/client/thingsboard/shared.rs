//! A `ThingsBoardDevice` on the session the origin's tabs share (`ThingsBoardDevice::connect_shared`,
//! docs/shared.md): it carries the device session's turns to the shared session and back, tells it
//! the tab's number at each `connected` and the count of tabs, and starts or stops the updaters
//! with the firmware turn. The rules are `platforms::thingsboard::session::shared`'s.

use super::device::ThingsBoardDevice;
use crate::client::{Link, SharedClient, SharedState};
use crate::platforms::thingsboard::session::firmware_turn;
use crate::transport::now_ms;
use wasm_bindgen_futures::spawn_local;

/// Makes the device's session one tab's, and follows the shared session's state and tab count.
pub(super) fn watch(device: &ThingsBoardDevice, client: &SharedClient) {
    device.state.borrow_mut().core.share();
    // The listeners hold the device weakly, and the client through it: the client holds them.
    let weak = device.weak();
    client.on_state(move |state| {
        if let (SharedState::Connected, Some(device)) = (state, weak.upgrade()) {
            if let Link::Shared(client) = device.link() {
                joined(&device, client);
            }
        }
    });
    let weak = device.weak();
    client.on_tabs(move |tabs| {
        if let Some(device) = weak.upgrade() {
            device.state.borrow_mut().core.set_tabs(now_ms(), tabs as usize);
            device.drive();
        }
    });
}

/// The shared connection is up, with this tab numbered by its host: a new host gives it a new
/// block of request ids and its turns are asked for again.
pub(super) fn joined(device: &ThingsBoardDevice, client: &SharedClient) {
    let (tab, host) = client.number();
    device.state.borrow_mut().core.connection_up(tab, host);
    turns(device);
}

/// Asks the shared session for the turn `topic`, and tells the device's session how it went.
pub(super) fn lease(device: &ThingsBoardDevice, topic: String) {
    let Link::Shared(client) = device.link().clone() else { return };
    let weak = device.weak();
    spawn_local(async move {
        let given = client.lease(&topic).await.is_ok();
        if let Some(device) = weak.upgrade() {
            device.state.borrow_mut().core.leased(&topic, given);
            turns(&device);
        }
    });
}

/// Asks the shared session which tab holds the turn `topic`, and tells the device's session: a
/// server RPC no tab handles is answered "unknown method". A session that cannot say (this tab left
/// it) answers nothing, as a holder would.
pub(super) fn holder(device: &ThingsBoardDevice, topic: String) {
    let Link::Shared(client) = device.link().clone() else { return };
    let weak = device.weak();
    spawn_local(async move {
        let holder = client.holder(&topic).await.unwrap_or(u32::MAX);
        if let Some(device) = weak.upgrade() {
            device.state.borrow_mut().core.holder(now_ms(), &topic, holder);
            device.drive();
        }
    });
}

/// Each updater runs while this tab holds its firmware turn: one given the turn starts watching,
/// and one that lost it gives up the update under way with no outcome, for the holder to start
/// again.
pub(super) fn turns(device: &ThingsBoardDevice) {
    let starting: Vec<u64> = {
        let mut guard = device.state.borrow_mut();
        let s = &mut *guard;
        let core = &s.core;
        let mut starting = Vec::new();
        for slot in &mut s.updaters {
            if slot.updater.follow_turn(core.holds_turn(&firmware_turn(slot.updater.kind()))) {
                starting.push(slot.id);
            }
        }
        starting
    };
    for id in starting {
        super::ota::watch_with_turn(device, id);
    }
    device.drive();
    let listeners = device.state.borrow().turn_listeners.clone();
    for listener in listeners {
        listener();
    }
}
