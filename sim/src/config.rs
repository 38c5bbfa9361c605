// The simulator's settings: addresses, ports, timings and seed data, from flags and an optional TOML file.
// Defaults are the demo setup the README documents; flags override the file.

use serde::Deserialize;
use std::net::IpAddr;
use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("flag {flag} needs a value")]
    MissingValue { flag: String },
    #[error("flag {flag} has an invalid value {value:?}: {reason}")]
    InvalidValue { flag: String, value: String, reason: String },
    #[error("unknown flag {0}; run with --help to see the flags")]
    UnknownFlag(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Address every listener binds; loopback unless told otherwise.
    pub bind: IpAddr,
    /// Admin API and the three WebSocket endpoints.
    pub http_port: u16,
    pub thingsboard_port: u16,
    pub thethingsstack_port: u16,
    pub cloudplugs_port: u16,
    pub ready_file: Option<PathBuf>,
    pub timings: Timings,
    pub thingsboard: ThingsBoardSeed,
    pub thethingsstack: ThingsStackSeed,
    pub cloudplugs: CloudPlugsSeed,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::from([127, 0, 0, 1]),
            http_port: 8088,
            thingsboard_port: 1884,
            thethingsstack_port: 1885,
            cloudplugs_port: 1886,
            ready_file: None,
            timings: Timings::default(),
            thingsboard: ThingsBoardSeed::default(),
            thethingsstack: ThingsStackSeed::default(),
            cloudplugs: CloudPlugsSeed::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timings {
    /// Period of each simulated LoRaWAN end device's uplinks; 0 turns periodic uplinks off.
    pub uplink_period_ms: u64,
    /// Gap between a downlink's `down/queued`, `down/sent` and `down/ack` events.
    pub downlink_event_delay_ms: u64,
    /// ThingsBoard closes a provisioning session this long after answering (60 s in its code).
    pub provision_close_delay_ms: u64,
    /// Two-way RPC timeout when the admin request names none (ThingsBoard's default is 10 s).
    pub rpc_timeout_ms: u64,
    /// Delay between an application's first subscription and its end devices' join events.
    pub join_delay_ms: u64,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            uplink_period_ms: 5000,
            downlink_event_delay_ms: 500,
            provision_close_delay_ms: 60_000,
            rpc_timeout_ms: 10_000,
            join_delay_ms: 200,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThingsBoardSeed {
    /// ThingsBoard's `transport.mqtt.netty.max_payload_size`.
    pub max_payload_size: usize,
    pub devices: Vec<DeviceSeed>,
    pub provision_profiles: Vec<ProvisionProfileSeed>,
}

impl Default for ThingsBoardSeed {
    fn default() -> Self {
        Self {
            max_payload_size: 65_536,
            devices: vec![
                DeviceSeed {
                    name: "Demo Thermostat".into(),
                    device_type: "thermostat".into(),
                    access_token: Some("demo-thermostat-token".into()),
                    ..DeviceSeed::default()
                },
                DeviceSeed {
                    name: "Demo Gateway".into(),
                    device_type: "gateway".into(),
                    access_token: Some("demo-gateway-token".into()),
                    gateway: true,
                    ..DeviceSeed::default()
                },
                DeviceSeed {
                    name: "Demo Basic".into(),
                    device_type: "default".into(),
                    mqtt_basic: Some(MqttBasicSeed {
                        client_id: Some("demo-basic-client".into()),
                        username: Some("demo-basic-user".into()),
                        password: Some("demo-basic-pass".into()),
                    }),
                    ..DeviceSeed::default()
                },
            ],
            provision_profiles: vec![
                ProvisionProfileSeed {
                    name: "Demo provisioning".into(),
                    key: "demo-provision-key".into(),
                    secret: "demo-provision-secret".into(),
                    strategy: ProvisionStrategy::AllowCreateNewDevices,
                },
                ProvisionProfileSeed {
                    name: "Demo pre-provisioned".into(),
                    key: "demo-preprovisioned-key".into(),
                    secret: "demo-preprovisioned-secret".into(),
                    strategy: ProvisionStrategy::CheckPreProvisionedDevices,
                },
            ],
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceSeed {
    pub name: String,
    #[serde(rename = "type")]
    pub device_type: String,
    pub access_token: Option<String>,
    pub mqtt_basic: Option<MqttBasicSeed>,
    pub gateway: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttBasicSeed {
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// ThingsBoard device profile provisioning strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProvisionStrategy {
    /// A new name creates a device; a name that already exists fails with `FAILURE`.
    AllowCreateNewDevices,
    /// Only devices that already exist are provisioned; an unknown name is `NOT_FOUND`.
    CheckPreProvisionedDevices,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionProfileSeed {
    pub name: String,
    pub key: String,
    pub secret: String,
    pub strategy: ProvisionStrategy,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThingsStackSeed {
    pub tenant: String,
    /// On a multi-tenant deployment (like TTN) the username must be `app@tenant`.
    pub multi_tenant: bool,
    pub applications: Vec<ApplicationSeed>,
}

impl Default for ThingsStackSeed {
    fn default() -> Self {
        Self {
            tenant: "ttn".into(),
            multi_tenant: true,
            applications: vec![ApplicationSeed {
                id: "demo-app".into(),
                api_keys: vec!["NNSXS.DEMOKEY.SIMULATOR".into()],
                devices: vec![
                    EndDeviceSeed::new("demo-sensor-1", "70B3D57ED0000001", "26011F01", 7),
                    EndDeviceSeed::new("demo-sensor-2", "70B3D57ED0000002", "26011F02", 7),
                    EndDeviceSeed::new("demo-sensor-slow", "70B3D57ED0000003", "26011F03", 12),
                ],
            }],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApplicationSeed {
    pub id: String,
    pub api_keys: Vec<String>,
    pub devices: Vec<EndDeviceSeed>,
}

impl Default for ApplicationSeed {
    fn default() -> Self {
        Self { id: "app1".into(), api_keys: Vec::new(), devices: Vec::new() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EndDeviceSeed {
    pub id: String,
    pub dev_eui: String,
    pub join_eui: String,
    pub dev_addr: String,
    pub spreading_factor: u8,
    /// Confirmed downlinks to this device are answered with `down/nack` instead of `down/ack`.
    pub nack_confirmed: bool,
}

impl EndDeviceSeed {
    fn new(id: &str, dev_eui: &str, dev_addr: &str, sf: u8) -> Self {
        Self {
            id: id.into(),
            dev_eui: dev_eui.into(),
            join_eui: "0000000000000000".into(),
            dev_addr: dev_addr.into(),
            spreading_factor: sf,
            nack_confirmed: false,
        }
    }
}

impl Default for EndDeviceSeed {
    fn default() -> Self {
        Self::new("dev1", "0000000000000001", "26000001", 7)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloudPlugsSeed {
    pub models: Vec<ProductionModelSeed>,
    pub plugs: Vec<PlugSeed>,
    pub accounts: Vec<AccountSeed>,
}

impl Default for CloudPlugsSeed {
    fn default() -> Self {
        Self {
            models: vec![ProductionModelSeed { model: "DEMO-MODEL".into(), enroll_pass: "demo-pass".into() }],
            plugs: vec![PlugSeed {
                id: "dev-000000000000000000000001".into(),
                hwid: "DEMO-HWID-1".into(),
                name: "Demo Plug".into(),
                auth: "demo-auth".into(),
                model: "DEMO-MODEL".into(),
            }],
            accounts: vec![AccountSeed { email: "demo@cloudplugs.local".into(), password: "demo-account-pass".into() }],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductionModelSeed {
    pub model: String,
    pub enroll_pass: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlugSeed {
    pub id: String,
    pub hwid: String,
    #[serde(default)]
    pub name: String,
    pub auth: String,
    pub model: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSeed {
    pub email: String,
    pub password: String,
}

pub const USAGE: &str = "\
iotmqtt-sim: local ThingsBoard, The Things Stack and CloudPlugs MQTT APIs over WebSocket and TCP

USAGE: iotmqtt-sim [FLAGS]

  --config FILE.toml               settings file (flags override it)
  --bind ADDR                      listen address (default 127.0.0.1)
  --http-port N | --port N         admin API + WebSocket endpoints (default 8088; 0 = any free port)
  --thingsboard-port N             ThingsBoard MQTT over TCP (default 1884)
  --thethingsstack-port N          The Things Stack MQTT over TCP (default 1885)
  --cloudplugs-port N              CloudPlugs MQTT over TCP (default 1886)
  --ready-file PATH                write the bound ports as JSON once listening
  --uplink-period-ms N             LoRaWAN uplink period (default 5000; 0 = off)
  --downlink-event-delay-ms N      gap between downlink events (default 500)
  --provision-close-delay-ms N     provisioning session close delay (default 60000)
  --rpc-timeout-ms N               default two-way RPC timeout (default 10000)
  --join-delay-ms N                delay before end devices join (default 200)
  --max-payload-size N             ThingsBoard max MQTT payload (default 65536)
  --help                           this text
";

/// What the command line asked for.
pub enum Invocation {
    Run(Box<SimConfig>),
    Help,
}

impl SimConfig {
    pub fn from_toml_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })
    }

    /// Reads `--config` first, then applies every other flag on top of it.
    pub fn from_args(args: &[String]) -> Result<Invocation, ConfigError> {
        let mut config = match args.iter().position(|a| a == "--config") {
            Some(i) => {
                let path = args.get(i + 1).ok_or(ConfigError::MissingValue { flag: "--config".into() })?;
                SimConfig::from_toml_file(std::path::Path::new(path))?
            }
            None => SimConfig::default(),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if flag == "--help" || flag == "-h" {
                return Ok(Invocation::Help);
            }
            let value = it.next().ok_or_else(|| ConfigError::MissingValue { flag: flag.clone() })?;
            let t = &mut config.timings;
            match flag.as_str() {
                "--config" => {}
                "--bind" => config.bind = parse(flag, value)?,
                "--http-port" | "--port" => config.http_port = parse(flag, value)?,
                "--thingsboard-port" => config.thingsboard_port = parse(flag, value)?,
                "--thethingsstack-port" => config.thethingsstack_port = parse(flag, value)?,
                "--cloudplugs-port" => config.cloudplugs_port = parse(flag, value)?,
                "--ready-file" => config.ready_file = Some(PathBuf::from(value)),
                "--uplink-period-ms" => t.uplink_period_ms = parse(flag, value)?,
                "--downlink-event-delay-ms" => t.downlink_event_delay_ms = parse(flag, value)?,
                "--provision-close-delay-ms" => t.provision_close_delay_ms = parse(flag, value)?,
                "--rpc-timeout-ms" => t.rpc_timeout_ms = parse(flag, value)?,
                "--join-delay-ms" => t.join_delay_ms = parse(flag, value)?,
                "--max-payload-size" => config.thingsboard.max_payload_size = parse(flag, value)?,
                _ => return Err(ConfigError::UnknownFlag(flag.clone())),
            }
        }
        Ok(Invocation::Run(Box::new(config)))
    }

    /// Every port 0, no periodic uplinks and short timings: the configuration tests start from.
    pub fn for_tests() -> Self {
        let mut c = SimConfig {
            http_port: 0,
            thingsboard_port: 0,
            thethingsstack_port: 0,
            cloudplugs_port: 0,
            ..SimConfig::default()
        };
        c.timings = Timings {
            uplink_period_ms: 0,
            downlink_event_delay_ms: 20,
            provision_close_delay_ms: 200,
            rpc_timeout_ms: 2000,
            join_delay_ms: 20,
        };
        c
    }
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::InvalidValue {
        flag: flag.into(),
        value: value.into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn port_flags_accept_zero() {
        let Invocation::Run(c) =
            SimConfig::from_args(&args(&["--port", "0", "--thingsboard-port", "0", "--uplink-period-ms", "10"]))
                .unwrap()
        else {
            panic!("expected a run");
        };
        assert_eq!((c.http_port, c.thingsboard_port), (0, 0));
        assert_eq!(c.timings.uplink_period_ms, 10);
        assert_eq!(c.bind, IpAddr::from([127, 0, 0, 1]));
    }

    #[test]
    fn unknown_flag_is_refused() {
        assert!(matches!(SimConfig::from_args(&args(&["--nope", "1"])), Err(ConfigError::UnknownFlag(_))));
    }

    #[test]
    fn toml_overrides_ports_and_seed_data() {
        let c: SimConfig = toml::from_str(
            r#"
            http_port = 9000
            [timings]
            rpc_timeout_ms = 5
            [[thingsboard.devices]]
            name = "Only"
            access_token = "t"
            "#,
        )
        .unwrap();
        assert_eq!(c.http_port, 9000);
        assert_eq!(c.timings.rpc_timeout_ms, 5);
        assert_eq!(c.thingsboard.devices.len(), 1);
        assert_eq!(c.thingsboard.max_payload_size, 65_536);
    }
}
