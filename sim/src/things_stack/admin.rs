// The Things Stack's REST calls the simulator answers (simulated uplink, downlink queue) and the
// simulator's own `/api/sim/thethingsstack` state and controls.

use super::downlink;
use super::ThingsStack;
use crate::http::{Request, Response};
use serde_json::{json, Value};
use std::sync::Arc;

/// `{app}` in a path may be the application id or its `app@tenant` form.
fn app_id(tts: &ThingsStack, app: &str) -> String {
    app.strip_suffix(&format!("@{}", tts.tenant)).unwrap_or(app).to_string()
}

fn device_exists(tts: &ThingsStack, app: &str, dev: &str) -> bool {
    tts.lock().application_mut(app).is_some_and(|a| a.device_mut(dev).is_some())
}

fn not_found(app: &str, dev: &str) -> Response {
    Response::error(404, &format!("end device {app}/{dev} not found"))
}

pub fn route(tts: &Arc<ThingsStack>, request: &Request, segs: &[&str]) -> Response {
    let method = request.method.as_str();
    match (method, segs) {
        ("POST", ["api", "v3", "as", "applications", app, "devices", dev, "up", "simulate"]) => {
            let app = app_id(tts, app);
            let body = match request.json() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(message) = body.get("uplink_message").cloned() else {
                return Response::error(400, "body must be an ApplicationUp with \"uplink_message\"");
            };
            match tts.uplink(&app, dev, Some(message)) {
                Some(_) => Response::json(200, &json!({})),
                None => not_found(&app, dev),
            }
        }
        ("GET", ["api", "v3", "as", "applications", app, "devices", dev, "down"]) => {
            let app = app_id(tts, app);
            let mut st = tts.lock();
            let Some(d) = st.application_mut(&app).and_then(|a| a.device_mut(dev)) else {
                return not_found(&app, dev);
            };
            let items: Vec<Value> = d.queue.iter().map(|dl| dl.to_json(&d.session_key_id, None)).collect();
            Response::json(200, &json!({"items": items}))
        }
        ("POST", ["api", "v3", "as", "applications", app, "devices", dev, "down", op @ ("push" | "replace")]) => {
            let app = app_id(tts, app);
            if !device_exists(tts, &app, dev) {
                return not_found(&app, dev);
            }
            match downlink::parse_downlinks(&request.body) {
                Ok(list) => {
                    tts.enqueue(&app, dev, list, *op == "replace");
                    Response::json(200, &json!({}))
                }
                Err(e) => Response::error(400, &e),
            }
        }
        ("GET", ["api", "sim", "thethingsstack"]) => {
            let st = tts.lock();
            let apps: Vec<Value> = st
                .applications
                .iter()
                .map(|a| {
                    json!({
                        "id": a.id,
                        "uid": tts.uid(&a.id),
                        "connections": a.sessions.len(),
                        "devices": a.devices.iter().map(|d| json!({
                            "device_id": d.seed.id,
                            "dev_eui": d.seed.dev_eui,
                            "dev_addr": d.seed.dev_addr,
                            "spreading_factor": d.seed.spreading_factor,
                            "nack_confirmed": d.seed.nack_confirmed,
                            "joined": d.joined,
                            "f_cnt_up": d.f_cnt_up,
                            "f_cnt_down": d.f_cnt_down,
                            "queue": d.queue.iter().map(|dl| dl.to_json(&d.session_key_id, None)).collect::<Vec<_>>(),
                            "last_uplink": d.last_uplink,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            Response::json(200, &json!({"tenant": tts.tenant, "multi_tenant": tts.multi_tenant, "applications": apps}))
        }
        ("POST", ["api", "sim", "thethingsstack", "applications", app, "devices", dev, action]) => {
            let app = app_id(tts, app);
            if !device_exists(tts, &app, dev) {
                return not_found(&app, dev);
            }
            match *action {
                "join" => {
                    tts.join(&app, dev);
                    Response::json(200, &json!({}))
                }
                "uplink" => match tts.uplink(&app, dev, None) {
                    Some(event) => Response::json(200, &event),
                    None => not_found(&app, dev),
                },
                "flags" => {
                    let body = match request.json() {
                        Ok(b) => b,
                        Err(r) => return r,
                    };
                    let mut st = tts.lock();
                    if let Some(d) = st.application_mut(&app).and_then(|a| a.device_mut(dev)) {
                        if let Some(n) = body.get("nack_confirmed").and_then(Value::as_bool) {
                            d.seed.nack_confirmed = n;
                        }
                    }
                    Response::json(200, &json!({}))
                }
                _ => Response::error(404, "actions: join, uplink, flags"),
            }
        }
        _ => Response::error(404, &format!("no The Things Stack route for {} {}", request.method, request.path)),
    }
}
