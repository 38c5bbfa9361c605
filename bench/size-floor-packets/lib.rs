//! The least a client on mqtt-protocol-core's packet types alone (no `Connection`) can weigh: see Cargo.toml.
use mqtt_protocol_core::mqtt;
use mqtt_protocol_core::mqtt::packet::{Qos, SubEntry, SubOpts};
use mqtt_protocol_core::mqtt::result_code::MqttError;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// The two versions' builders share no trait, only their method names: `$body` once per version.
macro_rules! per_version {
    ($v5:expr, $version:ident => $body:block) => {
        if $v5 {
            use mqtt::packet::v5_0 as $version;
            $body
        } else {
            use mqtt::packet::v3_1_1 as $version;
            $body
        }
    };
}

fn err(e: MqttError) -> JsValue {
    JsValue::from(format!("{e:?}"))
}

#[wasm_bindgen]
pub struct Floor {
    v5: bool,
    next_id: u16,
    received: u32,
}

#[wasm_bindgen]
impl Floor {
    #[wasm_bindgen(constructor)]
    pub fn new(v5: bool) -> Floor {
        Floor { v5, next_id: 1, received: 0 }
    }

    fn packet_id(&mut self) -> u16 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    pub fn connect(&mut self, client_id: &str, user: &str, pass: &str) -> Result<Vec<u8>, JsValue> {
        Ok(per_version!(self.v5, version => {
            let b = version::Connect::builder().client_id(client_id).map_err(err)?;
            let b = b.user_name(user).map_err(err)?.password(pass).map_err(err)?.keep_alive(60);
            b.build().map_err(err)?.to_continuous_buffer()
        }))
    }

    pub fn publish(&mut self, topic: &str, payload: &[u8], qos: u8) -> Result<Vec<u8>, JsValue> {
        let qos = match qos {
            0 => Qos::AtMostOnce,
            1 => Qos::AtLeastOnce,
            _ => Qos::ExactlyOnce,
        };
        let id = if qos == Qos::AtMostOnce { None } else { Some(self.packet_id()) };
        Ok(per_version!(self.v5, version => {
            let mut b = version::Publish::builder().topic_name(topic).map_err(err)?.qos(qos).payload(payload);
            if let Some(id) = id {
                b = b.packet_id(id);
            }
            b.build().map_err(err)?.to_continuous_buffer()
        }))
    }

    pub fn subscribe(&mut self, filter: &str) -> Result<Vec<u8>, JsValue> {
        let entry = SubEntry::new(filter, SubOpts::new().set_qos(Qos::AtLeastOnce)).map_err(err)?;
        let id = self.packet_id();
        Ok(per_version!(self.v5, version => {
            version::Subscribe::builder().packet_id(id).entries(vec![entry]).build().map_err(err)?.to_continuous_buffer()
        }))
    }

    /// One whole packet (fixed header included): parse by type.
    pub fn recv(&mut self, data: &[u8]) -> Result<u32, JsValue> {
        let (first, rest) = data.split_first().ok_or("empty")?;
        // Skip the remaining-length varint; the body is the rest (one whole packet per call).
        let varint = rest.iter().position(|b| b & 128 == 0).ok_or("short")? + 1;
        let body = &rest[varint..];
        let kind = first >> 4;
        match (kind, self.v5) {
            (2, false) => {
                mqtt::packet::v3_1_1::Connack::parse(body).map_err(err)?;
            }
            (2, true) => {
                mqtt::packet::v5_0::Connack::parse(body).map_err(err)?;
            }
            (3, false) => {
                let (p, _) = mqtt::packet::v3_1_1::Publish::parse(first & 15, Arc::from(body)).map_err(err)?;
                self.received += p.payload().len() as u32;
            }
            (3, true) => {
                let (p, _) = mqtt::packet::v5_0::Publish::parse(first & 15, Arc::from(body)).map_err(err)?;
                self.received += p.payload().len() as u32;
            }
            (4, false) => {
                mqtt::packet::v3_1_1::Puback::parse(body).map_err(err)?;
            }
            (4, true) => {
                mqtt::packet::v5_0::Puback::parse(body).map_err(err)?;
            }
            (9, false) => {
                mqtt::packet::v3_1_1::Suback::parse(body).map_err(err)?;
            }
            (9, true) => {
                mqtt::packet::v5_0::Suback::parse(body).map_err(err)?;
            }
            _ => return Err("unexpected".into()),
        }
        self.received += 1;
        Ok(self.received)
    }
}
