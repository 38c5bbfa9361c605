// The simulator's own CloudPlugs endpoints: plugs with their properties and connection state, the
// last data per channel, and a way to publish data as a plug.

use super::{CloudPlugs, PlugKind};
use crate::http::{Request, Response};
use serde_json::{json, Value};

pub fn route(cp: &CloudPlugs, request: &Request, segs: &[&str]) -> Response {
    match (request.method.as_str(), segs) {
        ("GET", ["api", "sim", "cloudplugs"]) => {
            let st = cp.lock();
            let plugs: Vec<Value> = st
                .plugs
                .iter()
                .map(|p| {
                    json!({
                        "id": p.id,
                        "hwid": p.hwid,
                        "name": p.name,
                        "model": p.model,
                        "kind": if p.kind == PlugKind::Thing { "thing" } else { "controller" },
                        "controls": p.controls,
                        "properties": p.properties,
                        "connected": st.is_connected(&p.id),
                        "connections": st.sessions.values().filter(|(_, s)| s.as_deref() == Some(p.id.as_str())).count(),
                    })
                })
                .collect();
            let models: Vec<&str> = st.models.iter().map(|m| m.model.as_str()).collect();
            Response::json(200, &json!({"models": models, "plugs": plugs, "lastData": st.last_data}))
        }
        // POST /api/sim/cloudplugs/data/{PLUG_ID}/{CHANNEL...}: publish as that plug.
        ("POST", ["api", "sim", "cloudplugs", "data", plug, channel @ ..]) if !channel.is_empty() => {
            let topic = format!("{plug}/data/{}", channel.join("/"));
            match cp.publish_data(&topic, &request.body) {
                Ok(doc) => Response::json(200, &doc),
                Err(e) => Response::error(400, &e),
            }
        }
        _ => Response::error(404, &format!("no CloudPlugs route for {} {}", request.method, request.path)),
    }
}
