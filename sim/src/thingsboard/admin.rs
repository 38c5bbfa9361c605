// ThingsBoard's REST calls the simulator answers (same paths and bodies as the real server), plus
// `/api/sim/thingsboard/...` for the device listing and OTA package upload.

use super::checksum::ChecksumAlgorithm;
use super::payload::value_as_string;
use super::{AdminError, OtaKind, RpcError, ThingsBoard};
use crate::http::{Request, Response};
use serde_json::{json, Map, Value};

fn admin_error(e: AdminError) -> Response {
    match e {
        AdminError::DeviceNotFound(d) => Response::error(404, &format!("Device with requested id wasn't found: {d}")),
        AdminError::BadRequest(m) => Response::error(400, &m),
    }
}

fn keys_param(request: &Request) -> Option<Vec<String>> {
    request.query("keys").map(|k| k.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
}

pub async fn route(tb: &ThingsBoard, request: &Request, segs: &[&str]) -> Response {
    let method = request.method.as_str();
    match (method, segs) {
        // POST /api/plugins/telemetry/DEVICE/{id}/SHARED_SCOPE (and .../attributes/SHARED_SCOPE)
        ("POST", ["api", "plugins", "telemetry", "DEVICE", id, "SHARED_SCOPE"])
        | ("POST", ["api", "plugins", "telemetry", "DEVICE", id, "attributes", "SHARED_SCOPE"]) => {
            let body = match request.json() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(values) = body.as_object() else {
                return Response::error(400, "shared attributes must be a JSON object");
            };
            match tb.save_shared_attributes(id, values) {
                Ok(()) => Response::empty(200),
                Err(e) => admin_error(e),
            }
        }
        ("DELETE", ["api", "plugins", "telemetry", "DEVICE", id, "SHARED_SCOPE"])
        | ("DELETE", ["api", "plugins", "telemetry", "DEVICE", id, "attributes", "SHARED_SCOPE"]) => {
            let Some(keys) = keys_param(request) else {
                return Response::error(400, "keys query parameter is required, e.g. ?keys=a,b");
            };
            match tb.delete_shared_attributes(id, &keys) {
                Ok(_) => Response::empty(200),
                Err(e) => admin_error(e),
            }
        }
        ("GET", ["api", "plugins", "telemetry", "DEVICE", id, "values", "timeseries"]) => {
            let strict = request.query("useStrictDataTypes") == Some("true");
            let keys = keys_param(request);
            let st = tb.lock();
            let Some(device) = st.device(id) else {
                return admin_error(AdminError::DeviceNotFound(id.to_string()));
            };
            let mut out = Map::new();
            for (k, series) in &device.telemetry {
                if keys.as_ref().is_some_and(|ks| !ks.contains(k)) {
                    continue;
                }
                if let Some(latest) = series.last() {
                    let value =
                        if strict { latest.value.clone() } else { Value::String(value_as_string(&latest.value)) };
                    out.insert(k.clone(), json!([{"ts": latest.ts, "value": value}]));
                }
            }
            Response::json(200, &Value::Object(out))
        }
        ("GET", ["api", "plugins", "telemetry", "DEVICE", id, "keys", "timeseries"]) => {
            let st = tb.lock();
            match st.device(id) {
                Some(d) => Response::json(200, &json!(d.telemetry.keys().collect::<Vec<_>>())),
                None => admin_error(AdminError::DeviceNotFound(id.to_string())),
            }
        }
        ("GET", ["api", "plugins", "telemetry", "DEVICE", id, "values", "attributes", rest @ ..]) => {
            let keys = keys_param(request);
            let st = tb.lock();
            let Some(device) = st.device(id) else {
                return admin_error(AdminError::DeviceNotFound(id.to_string()));
            };
            let scopes: Vec<(&str, &std::collections::BTreeMap<String, super::AttributeValue>)> = match rest {
                [] => vec![("CLIENT_SCOPE", &device.client_attributes), ("SHARED_SCOPE", &device.shared_attributes)],
                ["CLIENT_SCOPE"] => vec![("CLIENT_SCOPE", &device.client_attributes)],
                ["SHARED_SCOPE"] => vec![("SHARED_SCOPE", &device.shared_attributes)],
                ["SERVER_SCOPE"] => vec![],
                _ => return Response::error(400, "scope must be CLIENT_SCOPE, SHARED_SCOPE or SERVER_SCOPE"),
            };
            let list: Vec<Value> = scopes
                .into_iter()
                .flat_map(|(_, m)| m.iter())
                .filter(|(k, _)| keys.as_ref().is_none_or(|ks| ks.contains(k)))
                .map(|(k, a)| json!({"key": k, "value": a.value, "lastUpdateTs": a.last_update_ts}))
                .collect();
            Response::json(200, &Value::Array(list))
        }
        ("POST", ["api", "rpc", kind @ ("twoway" | "oneway"), id]) => {
            let body = match request.json() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(method) = body.get("method").and_then(Value::as_str) else {
                return Response::error(400, "RPC body needs \"method\"");
            };
            let params = body.get("params").cloned().unwrap_or(json!({}));
            let timeout = body.get("timeout").and_then(Value::as_u64);
            let two_way = *kind == "twoway";
            match tb.server_rpc(id, method.to_string(), params, two_way, timeout).await {
                Ok(Some(reply)) => Response::raw_json(200, reply),
                Ok(None) => Response::empty(200),
                Err(RpcError::DeviceNotFound(d)) => {
                    Response::error(404, &format!("Device with requested id wasn't found: {d}"))
                }
                Err(e @ RpcError::NoActiveConnection(_)) => Response::error(409, &e.to_string()),
                Err(e @ RpcError::Timeout(_)) => Response::error(408, &e.to_string()),
            }
        }
        ("GET", ["api", "sim", "thingsboard", "devices"]) => {
            let st = tb.lock();
            let list: Vec<Value> = st.devices.iter().map(|d| tb.describe(d, &st)).collect();
            Response::json(200, &Value::Array(list))
        }
        ("GET", ["api", "sim", "thingsboard", "devices", id]) => {
            let st = tb.lock();
            match st.device(id) {
                Some(d) => Response::json(200, &tb.describe(d, &st)),
                None => admin_error(AdminError::DeviceNotFound(id.to_string())),
            }
        }
        ("POST", ["api", "sim", "thingsboard", "devices", id, "firmware"]) => {
            let kind = match request.query("kind").map(OtaKind::parse) {
                None => OtaKind::Firmware,
                Some(Some(k)) => k,
                Some(None) => return Response::error(400, "kind must be fw or sw"),
            };
            let Some(title) = request.query("title").filter(|t| !t.is_empty()) else {
                return Response::error(400, "title query parameter is required");
            };
            let Some(version) = request.query("version").filter(|v| !v.is_empty()) else {
                return Response::error(400, "version query parameter is required");
            };
            let algorithm = match request.query("algorithm") {
                None => ChecksumAlgorithm::Sha256,
                Some(a) => match ChecksumAlgorithm::parse(a) {
                    Some(a) => a,
                    None => {
                        return Response::error(
                            400,
                            "algorithm must be one of MD5, SHA256, SHA384, SHA512, CRC32, MURMUR3_32, MURMUR3_128",
                        )
                    }
                },
            };
            match tb.assign_ota_package(id, kind, title, version, algorithm, request.body.clone()) {
                Ok(attributes) => Response::json(200, &attributes),
                Err(e) => admin_error(e),
            }
        }
        _ => Response::error(404, &format!("no ThingsBoard route for {} {}", request.method, request.path)),
    }
}
