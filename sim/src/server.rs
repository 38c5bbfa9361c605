// Starts the simulator: binds the HTTP port (admin API + WebSocket endpoints) and the three MQTT TCP
// ports, writes the ready file, and stops everything on shutdown.

use crate::cloudplugs::{CloudPlugs, CloudPlugsGate};
use crate::config::SimConfig;
use crate::http;
use crate::session::PlatformGate;
use crate::things_stack::{ThingsStack, ThingsStackGate};
use crate::thingsboard::{ThingsBoard, ThingsBoardGate};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The ports actually bound; the ready file holds exactly this JSON.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct BoundPorts {
    pub http: u16,
    pub thingsboard_tcp: u16,
    pub thethingsstack_tcp: u16,
    pub cloudplugs_tcp: u16,
}

/// The three platforms' state, shared by the MQTT sessions and the admin API.
pub struct Simulator {
    pub config: SimConfig,
    pub thingsboard: Arc<ThingsBoard>,
    pub things_stack: Arc<ThingsStack>,
    pub cloudplugs: Arc<CloudPlugs>,
    pub thingsboard_gate: Arc<dyn PlatformGate>,
    pub things_stack_gate: Arc<dyn PlatformGate>,
    pub cloudplugs_gate: Arc<dyn PlatformGate>,
}

pub struct RunningSimulator {
    pub ports: BoundPorts,
    pub sim: Arc<Simulator>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningSimulator {
    /// Closes every session and listener, and waits for the listeners to stop.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn bind(config: &SimConfig, port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::new(config.bind, port)).await
}

pub async fn start(config: SimConfig) -> std::io::Result<RunningSimulator> {
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let thingsboard = ThingsBoard::new(&config.thingsboard, &config.timings);
    let things_stack = ThingsStack::new(&config.thethingsstack, &config.timings, shutdown_rx.clone());
    let cloudplugs = CloudPlugs::new(&config.cloudplugs);
    let sim = Arc::new(Simulator {
        thingsboard_gate: Arc::new(ThingsBoardGate(thingsboard.clone())),
        things_stack_gate: Arc::new(ThingsStackGate(things_stack.clone())),
        cloudplugs_gate: Arc::new(CloudPlugsGate(cloudplugs.clone())),
        thingsboard,
        things_stack,
        cloudplugs,
        config: config.clone(),
    });
    let http_listener = bind(&config, config.http_port).await?;
    let tb_listener = bind(&config, config.thingsboard_port).await?;
    let tts_listener = bind(&config, config.thethingsstack_port).await?;
    let cp_listener = bind(&config, config.cloudplugs_port).await?;
    let ports = BoundPorts {
        http: http_listener.local_addr()?.port(),
        thingsboard_tcp: tb_listener.local_addr()?.port(),
        thethingsstack_tcp: tts_listener.local_addr()?.port(),
        cloudplugs_tcp: cp_listener.local_addr()?.port(),
    };
    let tasks = vec![
        tokio::spawn(serve_http(http_listener, sim.clone(), shutdown_rx.clone())),
        tokio::spawn(crate::net::serve_tcp(tb_listener, sim.thingsboard_gate.clone(), shutdown_rx.clone())),
        tokio::spawn(crate::net::serve_tcp(tts_listener, sim.things_stack_gate.clone(), shutdown_rx.clone())),
        tokio::spawn(crate::net::serve_tcp(cp_listener, sim.cloudplugs_gate.clone(), shutdown_rx.clone())),
    ];
    if let Some(path) = &config.ready_file {
        let json = serde_json::to_string(&ports).unwrap_or_default();
        // Written whole under a temporary name first, so a waiting script never reads half a file.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, path)?;
    }
    Ok(RunningSimulator { ports, sim, shutdown: shutdown_tx, tasks })
}

async fn serve_http(listener: TcpListener, sim: Arc<Simulator>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(http_connection(stream, sim.clone(), shutdown.clone()));
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn http_connection(mut stream: TcpStream, sim: Arc<Simulator>, shutdown: watch::Receiver<bool>) {
    let (request, leftover) = match http::read_request(&mut stream).await {
        Ok(r) => r,
        Err(http::HttpError::Closed) => return,
        Err(e) => {
            let status = if matches!(e, http::HttpError::TooLarge) { 413 } else { 400 };
            let _ = http::write_response(&mut stream, &http::Response::error(status, &e.to_string())).await;
            return;
        }
    };
    if request.is_websocket_upgrade() {
        let gate = match request.path.as_str() {
            "/mqtt/thingsboard" => Some(sim.thingsboard_gate.clone()),
            "/mqtt/thethingsstack" => Some(sim.things_stack_gate.clone()),
            "/mqtt/cloudplugs" => Some(sim.cloudplugs_gate.clone()),
            _ => None,
        };
        match gate {
            Some(gate) => crate::net::serve_websocket(stream, leftover, request, gate, shutdown).await,
            None => {
                let _ = http::write_response(
                    &mut stream,
                    &http::Response::error(
                        404,
                        "WebSocket endpoints: /mqtt/thingsboard, /mqtt/thethingsstack, /mqtt/cloudplugs",
                    ),
                )
                .await;
            }
        }
        return;
    }
    let response = if request.method == "OPTIONS" {
        // CORS preflight: the headers on every response say what is allowed.
        http::Response::empty(204)
    } else {
        crate::admin::route(&sim, request).await
    };
    let _ = http::write_response(&mut stream, &response).await;
}
