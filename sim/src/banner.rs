// The text printed at start: where each platform listens and the demo credentials to use.
// Built from the configuration, so a TOML file's seed data is what gets printed.

use crate::config::SimConfig;
use crate::server::BoundPorts;
use std::fmt::Write;

pub fn banner(config: &SimConfig, ports: &BoundPorts) -> String {
    let host = config.bind;
    let mut s = String::new();
    let _ = writeln!(s, "iotmqtt-sim listening on {host}");
    let _ = writeln!(s, "  admin API       http://{host}:{}/api/sim", ports.http);
    let _ = writeln!(
        s,
        "  ThingsBoard     ws://{host}:{}/mqtt/thingsboard      tcp {host}:{}",
        ports.http, ports.thingsboard_tcp
    );
    let _ = writeln!(
        s,
        "  The Things Stack ws://{host}:{}/mqtt/thethingsstack  tcp {host}:{}",
        ports.http, ports.thethingsstack_tcp
    );
    let _ = writeln!(
        s,
        "  CloudPlugs      ws://{host}:{}/mqtt/cloudplugs       tcp {host}:{}",
        ports.http, ports.cloudplugs_tcp
    );
    let _ = writeln!(s, "\nThingsBoard devices:");
    for d in &config.thingsboard.devices {
        let gateway = if d.gateway { " (gateway)" } else { "" };
        if let Some(t) = &d.access_token {
            let _ = writeln!(s, "  {:?}{gateway}: access token {t}", d.name);
        }
        if let Some(b) = &d.mqtt_basic {
            let _ = writeln!(
                s,
                "  {:?}{gateway}: MQTT basic client id {} username {} password {}",
                d.name,
                b.client_id.as_deref().unwrap_or("-"),
                b.username.as_deref().unwrap_or("-"),
                b.password.as_deref().unwrap_or("-")
            );
        }
    }
    for p in &config.thingsboard.provision_profiles {
        let _ = writeln!(s, "  provisioning {:?}: key {} secret {} ({:?})", p.name, p.key, p.secret, p.strategy);
    }
    let tts = &config.thethingsstack;
    let _ = writeln!(s, "\nThe Things Stack (tenant {}):", tts.tenant);
    for a in &tts.applications {
        let user = if tts.multi_tenant { format!("{}@{}", a.id, tts.tenant) } else { a.id.clone() };
        let _ = writeln!(
            s,
            "  application {}: username {user} password {}",
            a.id,
            a.api_keys.first().map(String::as_str).unwrap_or("-")
        );
        for d in &a.devices {
            let _ = writeln!(s, "    device {} (SF{})", d.id, d.spreading_factor);
        }
    }
    let _ = writeln!(s, "\nCloudPlugs:");
    for m in &config.cloudplugs.models {
        let _ = writeln!(
            s,
            "  enroll: model {} pass {} (empty username/password, client id HWID[/NAME])",
            m.model, m.enroll_pass
        );
    }
    for p in &config.cloudplugs.plugs {
        let _ = writeln!(s, "  plug {} auth {} (hwid {})", p.id, p.auth, p.hwid);
    }
    for a in &config.cloudplugs.accounts {
        let _ = writeln!(s, "  account {} password {}", a.email, a.password);
    }
    s
}
