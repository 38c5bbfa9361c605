//! Profiles in localStorage (secrets left out unless "remember secret" is ticked), the ready-made
//! profiles for the local simulator, and each platform's bridge command to reach the real one.

use gloo::storage::{LocalStorage, Storage};

use crate::app::state::{Profile, ProfileKind};
use crate::ProtocolVersion;

const KEY: &str = "iotmqtt.dashboard.profiles.v1";

/// A query parameter of the page's URL (`?sim=ws://127.0.0.1:8088`).
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| js_sys::decode_uri_component(v).map(String::from).unwrap_or_default())
    })
}

/// The simulator the ready-made profiles point at: `?sim=` or the run command's fixed port.
pub fn simulator_base() -> String {
    query_param("sim").filter(|s| !s.is_empty()).unwrap_or_else(|| "ws://127.0.0.1:8088".into())
}

fn demo(id: &str, name: &str, kind: ProfileKind, url: String) -> Profile {
    Profile {
        id: id.into(),
        name: name.into(),
        kind,
        url,
        keepalive_secs: 60,
        version: ProtocolVersion::V3_1_1,
        // Demo credentials are public (sim/README.md): keeping them saves retyping.
        remember_secret: true,
        ..Default::default()
    }
}

/// Ready-made profiles for the local simulator and the run command's mosquitto.
pub fn demo_profiles() -> Vec<Profile> {
    let sim = simulator_base();
    let mut tb = demo(
        "demo-tb-device",
        "Demo Thermostat (simulator)",
        ProfileKind::ThingsBoardDevice,
        format!("{sim}/mqtt/thingsboard"),
    );
    tb.secret = "demo-thermostat-token".into();
    let mut gw = demo(
        "demo-tb-gateway",
        "Demo Gateway (simulator)",
        ProfileKind::ThingsBoardGateway,
        format!("{sim}/mqtt/thingsboard"),
    );
    gw.secret = "demo-gateway-token".into();
    let mut tts =
        demo("demo-tts", "demo-app@ttn (simulator)", ProfileKind::ThingsStackApp, format!("{sim}/mqtt/thethingsstack"));
    tts.username = "demo-app@ttn".into();
    tts.secret = "NNSXS.DEMOKEY.SIMULATOR".into();
    let mut cp =
        demo("demo-cloudplugs", "Demo plug (simulator)", ProfileKind::CloudPlugs, format!("{sim}/mqtt/cloudplugs"));
    cp.username = "dev-000000000000000000000001".into();
    cp.secret = "demo-auth".into();
    cp.client_id = "DEMO-HWID-1".into();
    cp.keepalive_secs = 240;
    let broker = query_param("broker").unwrap_or_else(|| "ws://127.0.0.1:19001".into());
    let mut generic = demo("demo-generic", "Local mosquitto", ProfileKind::Generic, broker);
    generic.username = query_param("user").unwrap_or_else(|| "demo".into());
    generic.secret = query_param("pass").unwrap_or_else(|| "demo".into());
    vec![tb, gw, tts, cp, generic]
}

/// Saved profiles, or the ready-made ones on first start. An explicit `?sim=` moves the demo
/// profiles to that simulator.
pub fn load() -> Vec<Profile> {
    let stored: Option<Vec<Profile>> = LocalStorage::get(KEY).ok();
    let Some(mut profiles) = stored.filter(|p| !p.is_empty()) else { return demo_profiles() };
    if query_param("sim").is_some() || query_param("broker").is_some() {
        let fresh = demo_profiles();
        for p in profiles.iter_mut() {
            if let Some(d) = fresh.iter().find(|d| d.id == p.id) {
                p.url = d.url.clone();
            }
        }
    }
    profiles
}

/// Saves profiles; secrets only where the user asked for it.
pub fn save(profiles: &[Profile]) -> Result<(), String> {
    let stored: Vec<Profile> = profiles
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if !p.remember_secret {
                p.secret.clear();
                p.auth_data.clear();
            }
            p
        })
        .collect();
    LocalStorage::set(KEY, stored).map_err(|e| e.to_string())
}

/// A fresh profile id.
pub fn new_id(kind: ProfileKind) -> String {
    format!("{}-{:x}", kind.slug(), (js_sys::Math::random() * 1e12) as u64)
}

/// How to reach the real platform from a browser: its MQTT is TCP only, so a local
/// WebSocket bridge (README, "Reaching a real platform through a WebSocket bridge").
pub fn bridge_help(kind: ProfileKind) -> (&'static str, &'static str) {
    match kind {
        ProfileKind::ThingsBoardDevice | ProfileKind::ThingsBoardGateway => (
            "websockify --ssl-target 127.0.0.1:9001 thingsboard.cloud:8883",
            "ThingsBoard serves MQTT over TCP only. Run this bridge, then use ws://127.0.0.1:9001 as the URL \
             (a self-hosted server without TLS: websockify 127.0.0.1:9001 my-thingsboard.local:1883).",
        ),
        ProfileKind::ThingsStackApp => (
            "websockify --ssl-target 127.0.0.1:9002 eu1.cloud.thethings.network:8883",
            "The Things Stack serves MQTT over TCP only. Run this bridge (replace eu1 with your cluster), then use \
             ws://127.0.0.1:9002 with user app-id@ttn and an API key.",
        ),
        ProfileKind::CloudPlugs => (
            "websockify --ssl-target 127.0.0.1:9003 api.cloudplugs.com:8883",
            "CloudPlugs serves MQTT over TCP only. Run this bridge, then use ws://127.0.0.1:9003.",
        ),
        ProfileKind::Generic => (
            "websockify 127.0.0.1:9004 my-broker.local:1883",
            "Brokers with a WebSocket listener need no bridge: use ws:// or wss:// directly. For a TCP-only \
             broker, run this bridge and use ws://127.0.0.1:9004.",
        ),
    }
}

/// What a profiles file says it is, so that any other JSON is refused by name.
const FILE_FORMAT: &str = "iotmqtt-profiles";

#[derive(serde::Serialize, serde::Deserialize)]
struct ProfilesFile {
    format: String,
    version: u32,
    profiles: Vec<Profile>,
}

/// The profiles as a file to keep or move to another browser; secrets only when `with_secrets`.
pub fn export_file(profiles: &[Profile], with_secrets: bool) -> String {
    let profiles = profiles
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if !with_secrets {
                p.secret.clear();
                p.auth_data.clear();
                p.remember_secret = false;
            }
            p
        })
        .collect();
    let file = ProfilesFile { format: FILE_FORMAT.into(), version: 1, profiles };
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

/// The profiles of a file `export_file` wrote, checked: each has a name, an id and a ws:// or
/// wss:// URL. Anything else is refused whole, with the reason.
pub fn import_file(text: &str) -> Result<Vec<Profile>, String> {
    let file: ProfilesFile = serde_json::from_str(text).map_err(|e| format!("not a profiles file: {e}"))?;
    if file.format != FILE_FORMAT || file.version != 1 {
        return Err(format!("not a profiles file: its format is {:?} version {}", file.format, file.version));
    }
    for (i, p) in file.profiles.iter().enumerate() {
        let what = |why: &str| format!("profile {} ({:?}): {why}", i + 1, p.name);
        if p.id.trim().is_empty() || p.name.trim().is_empty() {
            return Err(what("it has no id or no name"));
        }
        if !(p.url.starts_with("ws://") || p.url.starts_with("wss://")) {
            return Err(what("its URL is not a ws:// or wss:// URL"));
        }
    }
    Ok(file.profiles)
}
