// The admin HTTP API: ThingsBoard and The Things Stack REST paths where the real platform has one,
// and the simulator's own endpoints under `/api/sim/`.

use crate::http::{Request, Response};
use crate::server::Simulator;
use serde_json::json;

pub async fn route(sim: &Simulator, request: Request) -> Response {
    let segments = request.segments();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [] | ["api", "sim"] => Response::json(
            200,
            &json!({
                "simulator": "iotmqtt-sim",
                "websocket": ["/mqtt/thingsboard", "/mqtt/thethingsstack", "/mqtt/cloudplugs"],
                "tcp": {
                    "thingsboard": sim.config.thingsboard_port,
                    "thethingsstack": sim.config.thethingsstack_port,
                    "cloudplugs": sim.config.cloudplugs_port,
                },
            }),
        ),
        ["api", "plugins", ..] | ["api", "rpc", ..] | ["api", "sim", "thingsboard", ..] => {
            crate::thingsboard::admin::route(&sim.thingsboard, &request, &segs).await
        }
        ["api", "v3", ..] | ["api", "sim", "thethingsstack", ..] => {
            crate::things_stack::admin::route(&sim.things_stack, &request, &segs)
        }
        ["api", "sim", "cloudplugs", ..] => crate::cloudplugs::admin::route(&sim.cloudplugs, &request, &segs),
        _ => Response::error(404, &format!("no route for {} {}", request.method, request.path)),
    }
}
