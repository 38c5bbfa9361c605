// The binary as scripts run it: every port 0, `--ready-file` with the bound ports, demo credentials
// printed at start, and a clean exit on Ctrl-C (SIGINT).

mod common;

use common::*;
use serde_json::Value;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_binary_writes_its_ports_prints_credentials_and_stops_on_ctrl_c() {
    let dir = std::env::temp_dir().join(format!("iotmqtt-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ready = dir.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let mut child = Command::new(env!("CARGO_BIN_EXE_iotmqtt-sim"))
        .args(["--port", "0", "--thingsboard-port", "0", "--thethingsstack-port", "0", "--cloudplugs-port", "0"])
        .args(["--uplink-period-ms", "0", "--ready-file"])
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the simulator binary starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "ready file never appeared");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ports: Value = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    for key in ["http", "thingsboard_tcp", "thethingsstack_tcp", "cloudplugs_tcp"] {
        assert!(ports[key].as_u64().unwrap() > 0, "{key}");
    }
    let tb = ports["thingsboard_tcp"].as_u64().unwrap() as u16;
    connect(tb, "cli", Some(("demo-thermostat-token", ""))).await.expect("ThingsBoard over TCP");
    let http_port = ports["http"].as_u64().unwrap() as u16;
    assert!(get_json(http_port, "/api/sim/thingsboard/devices").await.is_array());

    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no clean exit after SIGINT");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success());
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    for credential in [
        "demo-thermostat-token",
        "demo-gateway-token",
        "demo-basic-client",
        "demo-basic-pass",
        "demo-provision-key",
        "demo-provision-secret",
        "demo-app@ttn",
        "NNSXS.DEMOKEY.SIMULATOR",
        "DEMO-MODEL",
        "demo-pass",
        "dev-000000000000000000000001",
        "demo-auth",
    ] {
        assert!(stdout.contains(credential), "{credential} not printed:\n{stdout}");
    }
    assert!(!ready.exists(), "the ready file is removed on shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}
