//! The least a browser MQTT client built on mqtt-protocol-core can weigh: see Cargo.toml.

use mqtt_protocol_core::mqtt;
use mqtt_protocol_core::mqtt::connection::Event;
use mqtt_protocol_core::mqtt::packet::{Packet, Qos, SubEntry, SubOpts};
use mqtt_protocol_core::mqtt::prelude::*;
use mqtt_protocol_core::mqtt::result_code::MqttError;
use wasm_bindgen::prelude::*;

fn err(e: MqttError) -> JsValue {
    JsValue::from(format!("{e:?}"))
}

#[wasm_bindgen]
pub struct Floor {
    connection: mqtt::Connection<mqtt::role::Client>,
    v5: bool,
    out: Vec<u8>,
    received: u32,
}

#[wasm_bindgen]
impl Floor {
    #[wasm_bindgen(constructor)]
    pub fn new(v5: bool) -> Floor {
        let version = if v5 { mqtt::Version::V5_0 } else { mqtt::Version::V3_1_1 };
        Floor { connection: mqtt::Connection::new(version), v5, out: Vec::new(), received: 0 }
    }

    fn send(&mut self, packet: Packet) -> Vec<u8> {
        let events = self.connection.checked_send(packet);
        self.absorb(events)
    }

    fn absorb(&mut self, events: Vec<Event>) -> Vec<u8> {
        for e in events {
            match e {
                Event::RequestSendPacket { packet, .. } => self.out.extend(packet.to_continuous_buffer()),
                Event::NotifyPacketReceived(_) => self.received += 1,
                _ => {}
            }
        }
        std::mem::take(&mut self.out)
    }

    pub fn connect(&mut self, client_id: &str, user: &str, pass: &str) -> Result<Vec<u8>, JsValue> {
        let packet: Packet = if self.v5 {
            let b = mqtt::packet::v5_0::Connect::builder().client_id(client_id).map_err(err)?;
            b.user_name(user).map_err(err)?.password(pass).map_err(err)?.keep_alive(60).build().map_err(err)?.into()
        } else {
            let b = mqtt::packet::v3_1_1::Connect::builder().client_id(client_id).map_err(err)?;
            b.user_name(user).map_err(err)?.password(pass).map_err(err)?.keep_alive(60).build().map_err(err)?.into()
        };
        Ok(self.send(packet))
    }

    pub fn publish(&mut self, topic: &str, payload: &[u8], qos: u8) -> Result<Vec<u8>, JsValue> {
        let qos = match qos {
            0 => Qos::AtMostOnce,
            1 => Qos::AtLeastOnce,
            _ => Qos::ExactlyOnce,
        };
        let id = if qos == Qos::AtMostOnce { None } else { Some(self.connection.acquire_packet_id().map_err(err)?) };
        let packet: Packet = if self.v5 {
            let mut b = mqtt::packet::v5_0::Publish::builder().topic_name(topic).map_err(err)?.qos(qos).payload(payload);
            if let Some(id) = id {
                b = b.packet_id(id);
            }
            b.build().map_err(err)?.into()
        } else {
            let mut b = mqtt::packet::v3_1_1::Publish::builder().topic_name(topic).map_err(err)?.qos(qos).payload(payload);
            if let Some(id) = id {
                b = b.packet_id(id);
            }
            b.build().map_err(err)?.into()
        };
        Ok(self.send(packet))
    }

    pub fn subscribe(&mut self, filter: &str) -> Result<Vec<u8>, JsValue> {
        let id = self.connection.acquire_packet_id().map_err(err)?;
        let entry = SubEntry::new(filter, SubOpts::new()).map_err(err)?;
        let packet: Packet = if self.v5 {
            mqtt::packet::v5_0::Subscribe::builder().packet_id(id).entries(vec![entry]).build().map_err(err)?.into()
        } else {
            mqtt::packet::v3_1_1::Subscribe::builder().packet_id(id).entries(vec![entry]).build().map_err(err)?.into()
        };
        Ok(self.send(packet))
    }

    pub fn recv(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut cursor = mqtt::common::Cursor::new(bytes);
        let events = self.connection.recv(&mut cursor);
        self.absorb(events)
    }

    pub fn received(&self) -> u32 {
        self.received
    }
}
