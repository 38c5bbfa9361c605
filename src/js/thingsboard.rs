//! `ThingsBoardCore`: the ThingsBoard core of `crate::batch::thingsboard` behind a Sans-I/O wasm
//! facade, for the TypeScript shell (`npm/src/thingsboard/`). A command in, one batch out; the
//! shell's `MqttClient` carries the MQTT.

use wasm_bindgen::prelude::*;

use super::ClientCore;
use crate::batch::command::Command;
use crate::batch::thingsboard;

#[wasm_bindgen]
#[derive(Default)]
pub struct ThingsBoardCore(thingsboard::ThingsBoardCore);

#[wasm_bindgen]
impl ThingsBoardCore {
    #[wasm_bindgen(constructor)]
    pub fn new() -> ThingsBoardCore {
        Self::default()
    }

    /// One command (`crate::batch::thingsboard::op`) and its arguments; returns its batch.
    pub fn run(&mut self, op: u8, now: f64, n: f64, text: &str, json: Option<String>, bytes: &[u8]) -> Vec<u8> {
        self.0.run(&Command { op, now: now as u64, n, text, json: json.as_deref(), bytes })
    }

    /// The connection the last `CONNECT` asked for, as the generic client's options (JSON text), for a
    /// device on the session the origin's tabs share (`shared: true`): the `iotmqtt/shared` host's
    /// client reads them.
    #[cfg(feature = "thingsboard-shared")]
    #[wasm_bindgen(js_name = sharedOptions)]
    pub fn shared_options(&mut self) -> Option<String> {
        self.0.take_shared_options()
    }

    /// The client for the connection the last command asked the shell to open: the options the
    /// platform's core read, handed over in memory (`ClientCore::over`).
    pub fn client(&mut self, url: &str, seed: f64, may_defer: bool) -> Result<ClientCore, JsValue> {
        ClientCore::over(url, self.0.take_connection(), seed, may_defer)
    }
}
