//! The browser's `online` and `offline` events, for the reconnect loop: listeners owned here and
//! removed when dropped. Absent in workers and other contexts without a window.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub struct NetworkWatch {
    window: web_sys::Window,
    on_online: Closure<dyn FnMut(web_sys::Event)>,
    on_offline: Closure<dyn FnMut(web_sys::Event)>,
}

impl NetworkWatch {
    /// Calls `notify(client, online)` on each event, while the client lives.
    pub fn new<T: 'static>(client: Weak<RefCell<T>>, notify: fn(&Rc<RefCell<T>>, bool)) -> Option<Self> {
        let window = web_sys::window()?;
        let make = |online: bool| {
            let client = client.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                if let Some(rc) = client.upgrade() {
                    notify(&rc, online);
                }
            })
        };
        let (on_online, on_offline) = (make(true), make(false));
        window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref()).ok()?;
        window.add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref()).ok()?;
        Some(Self { window, on_online, on_offline })
    }
}

impl Drop for NetworkWatch {
    fn drop(&mut self) {
        let _ = self.window.remove_event_listener_with_callback("online", self.on_online.as_ref().unchecked_ref());
        let _ = self.window.remove_event_listener_with_callback("offline", self.on_offline.as_ref().unchecked_ref());
    }
}
