// The simulator's command line: parse flags, start the listeners, print the demo credentials,
// and shut down cleanly on Ctrl-C.

use iotmqtt_sim::config::{Invocation, SimConfig, USAGE};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match SimConfig::from_args(&args) {
        Ok(Invocation::Run(c)) => *c,
        Ok(Invocation::Help) => {
            print!("{USAGE}");
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("iotmqtt-sim: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("iotmqtt-sim: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let running = match iotmqtt_sim::start(config.clone()).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("iotmqtt-sim: cannot listen on {}: {e}", config.bind);
                return std::process::ExitCode::FAILURE;
            }
        };
        println!("{}", iotmqtt_sim::banner::banner(&config, &running.ports));
        let _ = tokio::signal::ctrl_c().await;
        println!("iotmqtt-sim: shutting down");
        running.shutdown().await;
        if let Some(path) = &config.ready_file {
            let _ = std::fs::remove_file(path);
        }
        std::process::ExitCode::SUCCESS
    })
}
