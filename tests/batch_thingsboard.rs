//! The ThingsBoard core the npm package's `ThingsBoardDevice` and `ThingsBoardGateway` drive
//! (`src/batch/thingsboard.rs`, read by `npm/src/thingsboard/device.ts`): commands in, batches out,
//! on a virtual clock. Each batch is read back as the shell reads it, one line per record.
#![cfg(all(not(target_arch = "wasm32"), feature = "thingsboard"))]

use iotmqtt::batch::command::Command;
use iotmqtt::batch::thingsboard::{op, ThingsBoardCore};
use iotmqtt::json;
use iotmqtt::json::Value;

mod batch_reader;

use batch_reader::{lines, plain, returned, Reader};

/// ThingsBoard's records, read as `npm/src/thingsboard/device.ts` reads them.
impl Reader<'_> {
    fn record(&mut self) -> String {
        match self.u8() {
            1 => format!("subscribe {}", self.str()),
            2 => {
                let (id, topic, payload, qos) = (self.f64(), self.str(), self.str(), self.u8());
                format!("publish #{id} {topic} {payload} qos={qos}")
            }
            3 => {
                let op = self.f64();
                match self.u8() {
                    1 => format!("done #{op} {}", self.str()),
                    _ => format!("done #{op} failed {}", self.error()),
                }
            }
            4 => format!("shared {}", self.str()),
            5 => {
                let (id, method, params, one_way) = (self.f64(), self.str(), self.str(), self.u8());
                format!("rpc #{id} {method} {params} oneWay={one_way}")
            }
            6 => format!("device attributes {}", self.str()),
            7 => format!("device rpc {}", self.str()),
            8 => format!("error {}", self.error()),
            9 => format!("firmware {}", self.str()),
            10 => {
                let (generation, package, image) = (self.f64(), self.str(), self.bytes().to_vec());
                format!("install #{generation} {package} {image:?}")
            }
            12 => {
                let (generation, kind, name, image) = (self.f64(), self.u8(), self.str(), self.bytes().to_vec());
                format!("digest #{generation} kind={kind} {name} {image:?}")
            }
            13 => {
                let (generation, kind, error) = (self.f64(), self.u8(), self.error());
                format!("describe #{generation} kind={kind} {error}")
            }
            11 => match self.u8() {
                1 => format!("provisioned {}", self.str()),
                _ => format!("provisioned failed {}", self.error()),
            },
            14 => format!("lease {}", self.str()),
            15 => format!("release {}", self.str()),
            16 => format!("holder {}", self.str()),
            20 => format!("throw {}", self.error()),
            other => panic!("unknown tag {other}"),
        }
    }
}

fn read(bytes: &[u8]) -> Vec<String> {
    lines(bytes, |r| r.record())
}

fn returns<T>(b: &[u8], fields: impl FnOnce(&mut Reader) -> T) -> (T, Vec<String>) {
    returned(b, fields, |r| r.record())
}

struct Shell {
    core: ThingsBoardCore,
    now: u64,
}

impl Shell {
    fn new() -> Self {
        Self { core: ThingsBoardCore::new(), now: 1_000 }
    }

    /// Connected with these options; the session limits are not fetched unless asked.
    fn connected(options: Value, gateway: bool) -> Self {
        let mut s = Self::new();
        let b = s.run(op::CONNECT, f64::from(u8::from(gateway)), "", None, &plain(&options));
        assert_eq!(returns(&b, |_| ()).1, Vec::<String>::new());
        s
    }

    fn run(&mut self, op: u8, n: f64, text: &str, json: Option<&str>, bytes: &[u8]) -> Vec<u8> {
        self.core.run(&Command { op, now: self.now, n, text, json, bytes })
    }

    fn lines(&mut self, op: u8, n: f64, text: &str, json: Option<&str>, bytes: &[u8]) -> Vec<String> {
        read(&self.run(op, n, text, json, bytes))
    }

    /// An operation: its id and the rest of its batch.
    fn op(&mut self, op: u8, n: f64, text: &str, json: Option<&str>, bytes: &[u8]) -> (f64, Vec<String>) {
        let b = self.run(op, n, text, json, bytes);
        returns(&b, |r| r.f64())
    }
}

/// What an updater asks for as it starts watching, current package TA 1.0.
const FIRMWARE_START: [&str; 5] = [
    "subscribe v2/fw/response/+/chunk/+",
    "subscribe v2/fw/error",
    "subscribe v1/devices/me/attributes",
    "publish #1 v1/devices/me/telemetry {\"current_fw_title\":\"TA\",\"current_fw_version\":\"1.0\"} qos=1",
    "subscribe v1/devices/me/attributes/response/+",
];

impl Shell {
    /// Grants `FIRMWARE_START`'s subscriptions and acknowledges its report: what the last grant
    /// brought (the request for the package).
    fn firmware_started(&mut self) -> Vec<String> {
        for filter in ["v2/fw/response/+/chunk/+", "v2/fw/error", "v1/devices/me/attributes"] {
            self.lines(op::SUBSCRIBED, 1.0, filter, None, &[]);
        }
        self.lines(op::PUBLISHED, 1.0, "", None, &[]);
        self.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/attributes/response/+", None, &[])
    }
}

fn token() -> Value {
    json!({"token": "A1_TEST_TOKEN", "fetchSessionLimits": false})
}

#[test]
fn a_login_gives_the_client_options_and_a_refusal_is_thingsboards() {
    let mut s = Shell::new();
    let b = s.run(op::CONNECT, 0.0, "", None, &plain(&json!({"token": "T", "keepaliveSecs": 30})));
    returns(&b, |_| ());
    let options: Value = serde_json::from_str(&s.core.take_connection().unwrap().options_json()).unwrap();
    assert_eq!(
        (&options["username"], &options["clientId"], &options["keepaliveSecs"]),
        (&json!("T"), &json!(""), &json!(30))
    );
    assert_eq!(s.lines(op::LOGIN_FAILED, 0.0, "CONNACK_NOT_AUTHORIZED", None, &[]), ["throw TB_TOKEN_REJECTED(5)"]);
    assert_eq!(
        s.lines(op::LOGIN_FAILED, 0.0, "CONNACK_SERVER_UNAVAILABLE", None, &[]),
        ["throw TB_SERVER_UNAVAILABLE(3)"]
    );
    assert_eq!(s.run(op::LOGIN_FAILED, 0.0, "SOCKET_ERROR", None, &[])[8..], [21]);
    let mut basic = Shell::new();
    basic.run(op::CONNECT, 0.0, "", None, &plain(&json!({"clientId": "c", "password": "p", "version": "5"})));
    assert_eq!(
        basic.lines(op::LOGIN_FAILED, 0.0, "CONNACK_BAD_USERNAME_OR_PASSWORD", None, &[]),
        ["throw TB_BASIC_CREDENTIALS_REJECTED(134)"]
    );
    let refused = |options: Value| Shell::new().lines(op::CONNECT, 0.0, "", None, &plain(&options));
    assert_eq!(refused(json!({})), ["throw TB_INVALID_OPTION(\"token\", \"the access token is empty\")"]);
    assert_eq!(
        refused(json!({"token": "t", "qos": 3})),
        ["throw INVALID_OPTION(\"qos\", \"expected 0, 1 or 2, got a number\")"]
    );
}

#[test]
fn after_connecting_the_session_limits_are_read_and_obeyed() {
    let mut s = Shell::connected(json!({"token": "T"}), false);
    let (op, rest) = s.op(op::CONNECTED, 0.0, "", None, &[]);
    assert_eq!((op, rest), (1.0, vec!["subscribe v1/devices/me/rpc/response/+".to_string()]));
    let published = s.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/rpc/response/+", None, &[]);
    assert_eq!(
        published,
        [
            "deadline 11000",
            "publish #1 v1/devices/me/rpc/request/1 {\"method\":\"getSessionLimits\",\"params\":{}} qos=1"
        ]
    );
    s.lines(op::PUBLISHED, 1.0, "", None, &[]);
    let limits = json!({"maxPayloadSize": 4096, "maxInflightMessages": 10, "rateLimits": {"messages": "100:1"}});
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/response/1", None, limits.to_string().as_bytes()),
        ["done #1 null"]
    );
    let (limits, _) =
        returns(&s.run(op::LIMITS, 0.0, "", None, &[]), |r| serde_json::from_str::<Value>(&r.str()).unwrap());
    assert_eq!((&limits["maxPayloadSize"], &limits["maxInflightMessages"]), (&json!(4096), &json!(10)));
    let mut off = Shell::connected(token(), false);
    assert_eq!(off.op(op::CONNECTED, 0.0, "", None, &[]), (-1.0, vec![]));
}

#[test]
fn telemetry_is_published_and_resolves_on_the_puback_and_bad_telemetry_is_refused() {
    let mut s = Shell::connected(token(), false);
    let (op, rest) = s.op(op::TELEMETRY, 0.0, "", Some(r#"{"temperature":21.5}"#), &[]);
    assert_eq!(rest, ["publish #1 v1/devices/me/telemetry {\"temperature\":21.5} qos=1"]);
    assert_eq!(s.lines(op::PUBLISHED, 1.0, "", None, &[]), [format!("done #{op} null")]);
    assert_eq!(s.lines(op::TELEMETRY, 0.0, "", Some("7"), &[]).len(), 1);
    assert!(s.lines(op::TELEMETRY, 0.0, "", Some("7"), &[])[0].starts_with("throw TB_INVALID_TELEMETRY("));
    let (op, _) = s.op(op::ATTRIBUTES, 0.0, "", Some(r#"{"a":1}"#), &[]);
    assert_eq!(s.lines(op::PUBLISH_FAILED, 2.0, "", None, &[]), [format!("done #{op} failed CONNECTION_LOST()")]);
}

#[test]
fn an_attribute_request_times_out_on_the_virtual_clock() {
    let mut s = Shell::connected(json!({"token": "T", "fetchSessionLimits": false, "requestTimeoutMs": 500}), false);
    let (op, rest) = s.op(op::REQUEST_ATTRIBUTES, 0.0, "", None, &plain(&json!({"shared": ["fw_title"]})));
    assert_eq!(rest, ["subscribe v1/devices/me/attributes/response/+"]);
    let published = s.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/attributes/response/+", None, &[]);
    assert_eq!(published[0], "deadline 1500", "the request's time runs from its publish: {published:?}");
    s.now += 500;
    assert_eq!(
        s.lines(op::HANDLE_TIMEOUT, 0.0, "", None, &[]),
        [format!("done #{op} failed TB_TIMEOUT(\"attribute request\", 500)")]
    );
    assert_eq!(
        s.lines(op::REQUEST_ATTRIBUTES, 0.0, "", None, &plain(&json!({"shared": "fw_title"}))),
        ["throw INVALID_OPTION(\"shared\", \"expected an array, got a string\")"]
    );
}

#[test]
fn server_side_rpcs_reach_the_shell_and_its_answers_are_published() {
    let mut s = Shell::connected(token(), false);
    // A handler subscribes to requests at once; `ENABLE_RPC` waits for that subscription.
    let (_, rest) = returns(&s.run(op::ON_RPC, 0.0, "getTemperature", None, &plain(&Value::Null)), |_| ());
    assert_eq!(rest, ["subscribe v1/devices/me/rpc/request/+"]);
    s.run(op::ON_RPC, 0.0, "reboot", None, &plain(&json!({"oneWay": true})));
    let (op, rest) = s.op(op::ENABLE_RPC, 0.0, "", None, &[]);
    assert_eq!(rest, Vec::<String>::new());
    assert_eq!(s.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/rpc/request/+", None, &[]), [format!("done #{op} null")]);
    let request = br#"{"method":"getTemperature","params":{}}"#;
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/7", None, request),
        ["rpc #7 getTemperature {} oneWay=0"]
    );
    assert_eq!(
        s.lines(op::RPC_REPLY, 7.0, "", Some(r#"{"temperature":21.5}"#), &[]),
        ["publish #1 v1/devices/me/rpc/response/7 {\"temperature\":21.5} qos=1"]
    );
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/8", None, br#"{"method":"reboot","params":null}"#),
        ["rpc #8 reboot null oneWay=1"]
    );
    assert_eq!(
        s.lines(op::ON_RPC, 0.0, "x", None, &plain(&json!({"oneway": true}))),
        ["throw INVALID_OPTION(\"oneway\", \"unknown option; the known ones are oneWay\")"]
    );
}

// A device on a connection the origin's tabs share (docs/shared.md): the host's client reads the
// connection as the generic client's options; the tab numbers its requests in its block, runs a
// server RPC only while it holds the method's turn, and keeps both while its host goes on; a new
// host numbers it anew.
/// `STATE`'s `n` on a shared connection: tab `tab` of host `host`.
#[cfg(feature = "thingsboard-shared")]
fn at(host: u32, tab: u32) -> f64 {
    f64::from(host) * 4_294_967_296.0 + f64::from(tab)
}

#[cfg(all(feature = "thingsboard-shared", feature = "thingsboard-device"))]
#[test]
fn a_shared_device_numbers_its_requests_in_its_tab_s_block_and_takes_turns_on_rpc_methods() {
    let mut s = Shell::new();
    let login = json!({"token": "A1_TEST_TOKEN", "fetchSessionLimits": false, "keepaliveSecs": 30});
    assert_eq!(returns(&s.run(op::CONNECT, 2.0, "", None, &plain(&login)), |_| ()).1, Vec::<String>::new());
    let shared: Value = serde_json::from_str(&s.core.take_shared_options().unwrap()).unwrap();
    assert_eq!((&shared["username"], &shared["keepaliveSecs"]), (&json!("A1_TEST_TOKEN"), &json!(30)));
    assert_eq!(s.core.take_shared_options(), None, "taken once");

    // Tab 3 of its host: ids 3 << 20 | n.
    assert_eq!(s.lines(op::STATE, at(1, 3), "connected", None, &[]), Vec::<String>::new());
    let (call, rest) = s.op(op::CALL, 0.0, "getTime", None, &[]);
    assert_eq!(rest, ["subscribe v1/devices/me/rpc/response/+"]);
    assert_eq!(
        s.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/rpc/response/+", None, &[]),
        ["deadline 11000", "publish #1 v1/devices/me/rpc/request/3145729 {\"method\":\"getTime\",\"params\":{}} qos=1"]
    );
    // Another tab's answer (its own block) is not this tab's.
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/response/1", None, b"{}"), ["deadline 11000"]);
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/response/3145729", None, b"{\"t\":1}"),
        [format!("done #{call} {{\"t\":1}}")]
    );

    // A handler asks for the method's turn, and for the turn of answering the methods no tab
    // handles; until it holds it, the method is another tab's (or no tab's), so the request is
    // neither run nor answered here.
    let (_, rest) = returns(&s.run(op::ON_RPC, 0.0, "reboot", None, &plain(&Value::Null)), |_| ());
    assert_eq!(rest, ["lease rpc/reboot", "lease rpc-unknown", "subscribe v1/devices/me/rpc/request/+"]);
    s.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/rpc/request/+", None, &[]);
    let reboot = br#"{"method":"reboot","params":{}}"#;
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/5", None, reboot), Vec::<String>::new());
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/6", None, br#"{"method":"x","params":{}}"#),
        Vec::<String>::new(),
        "another tab holds the turn of the methods no tab handles"
    );
    assert_eq!(s.lines(op::LEASED, 1.0, "rpc/reboot", None, &[]), Vec::<String>::new());
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/7", None, reboot), ["rpc #7 reboot {} oneWay=0"]);
    // Handling it again keeps the turn.
    assert_eq!(returns(&s.run(op::ON_RPC, 0.0, "reboot", None, &plain(&Value::Null)), |_| ()).1, Vec::<String>::new());

    // The connection on its way again, and up on the same host (a SharedWorker's): the tab keeps
    // its number, its turn and its requests.
    let (waiting, _) = s.op(op::CALL, 0.0, "getTime", None, &[]);
    assert_eq!(s.lines(op::STATE, 0.0, "connecting", None, &[]), ["deadline 11000"]);
    assert_eq!(s.lines(op::STATE, at(1, 3), "connected", None, &[]), ["deadline 11000"]);
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/8", None, reboot),
        ["deadline 11000", "rpc #8 reboot {} oneWay=0"]
    );
    // Up on a new host (a leader's page went): tab 1 there. The turn held is asked for again, the
    // request waiting fails (its id is the old block's), and ids are in the new block.
    assert_eq!(
        s.lines(op::STATE, at(2, 1), "connected", None, &[]),
        ["lease rpc/reboot".to_string(), format!("done #{waiting} failed CONNECTION_LOST()")]
    );
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/9", None, reboot), Vec::<String>::new());
    let (call, rest) = s.op(op::CALL, 0.0, "getTime", None, &[]);
    assert_eq!(
        rest,
        ["deadline 11000", "publish #3 v1/devices/me/rpc/request/1048579 {\"method\":\"getTime\",\"params\":{}} qos=1"]
    );
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/response/1048579", None, b"{}"),
        [format!("done #{call} {{}}")]
    );
    // Not handled any more while asked for: its place is kept until given, then given back at
    // once (a place given back would leave the tab's request for it unanswered).
    assert_eq!(returns(&s.run(op::REMOVE_RPC, 0.0, "reboot", None, &[]), |_| ()).1, Vec::<String>::new());
    assert_eq!(s.lines(op::LEASED, 1.0, "rpc/reboot", None, &[]), ["release rpc/reboot"]);
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/10", None, reboot), Vec::<String>::new());
    // Handled again, removed and handled again while asked for: one request for the turn.
    assert_eq!(returns(&s.run(op::ON_RPC, 0.0, "reboot", None, &plain(&Value::Null)), |_| ()).1, ["lease rpc/reboot"]);
    returns(&s.run(op::REMOVE_RPC, 0.0, "reboot", None, &[]), |_| ());
    assert_eq!(returns(&s.run(op::ON_RPC, 0.0, "reboot", None, &plain(&Value::Null)), |_| ()).1, Vec::<String>::new());
    assert_eq!(s.lines(op::LEASED, 1.0, "rpc/reboot", None, &[]), Vec::<String>::new());
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/11", None, reboot), ["rpc #11 reboot {} oneWay=0"]);
    // A turn the session could not give (the tab left it with `disconnect()`) is asked for again
    // at the next `connected`, on the same host too.
    returns(&s.run(op::ON_RPC, 0.0, "status", None, &plain(&Value::Null)), |_| ());
    assert_eq!(s.lines(op::LEASED, 0.0, "rpc/status", None, &[]), Vec::<String>::new());
    assert_eq!(s.lines(op::STATE, at(2, 1), "connected", None, &[]), ["lease rpc/status"]);
    assert_eq!(s.lines(op::STATE, at(2, 1), "connected", None, &[]), Vec::<String>::new(), "asked once");
    // Not handled any more while held: given back at once.
    assert_eq!(returns(&s.run(op::REMOVE_RPC, 0.0, "reboot", None, &[]), |_| ()).1, ["release rpc/reboot"]);
    assert_eq!(returns(&s.run(op::REMOVE_RPC, 0.0, "reboot", None, &[]), |_| ()).1, Vec::<String>::new());

    // 100 tabs share ThingsBoard's default in-flight window of 100: this tab's share is one.
    for publish in 1..=3 {
        s.lines(op::PUBLISHED, f64::from(publish), "", None, &[]);
    }
    assert_eq!(s.lines(op::TABS, 100.0, "", None, &[]), Vec::<String>::new());
    let (first, rest) = s.op(op::TELEMETRY, 0.0, "", Some(r#"{"a":1}"#), &[]);
    assert_eq!(rest, ["publish #4 v1/devices/me/telemetry {\"a\":1} qos=1"]);
    let (second, rest) = s.op(op::TELEMETRY, 0.0, "", Some(r#"{"a":2}"#), &[]);
    assert_eq!(rest, Vec::<String>::new(), "waits for the in-flight slot");
    assert_eq!(
        s.lines(op::PUBLISHED, 4.0, "", None, &[]),
        [format!("done #{first} null"), "publish #5 v1/devices/me/telemetry {\"a\":2} qos=1".to_string()]
    );
    s.lines(op::TABS, 1.0, "", None, &[]);
    let (_, rest) = s.op(op::TELEMETRY, 0.0, "", Some(r#"{"a":3}"#), &[]);
    assert_eq!(rest, ["publish #6 v1/devices/me/telemetry {\"a\":3} qos=1"], "alone again: {second}");
}

// On a shared connection one tab answers "unknown method" for the server RPCs no tab handles: the
// tab that holds the turn `rpc-unknown`, which every tab that handles a method asks for. It asks
// the session which tab holds the method's turn, and answers only when none does.
#[cfg(all(feature = "thingsboard-shared", feature = "thingsboard-device"))]
#[test]
fn a_shared_device_holding_the_unknown_turn_answers_the_methods_no_tab_holds() {
    let mut s = Shell::new();
    let login = json!({"token": "A1_TEST_TOKEN", "fetchSessionLimits": false});
    returns(&s.run(op::CONNECT, 2.0, "", None, &plain(&login)), |_| ());
    s.core.take_shared_options();
    s.lines(op::STATE, at(1, 2), "connected", None, &[]);
    let (_, rest) = returns(&s.run(op::ON_RPC, 0.0, "reboot", None, &plain(&Value::Null)), |_| ());
    assert_eq!(rest, ["lease rpc/reboot", "lease rpc-unknown", "subscribe v1/devices/me/rpc/request/+"]);
    s.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/rpc/request/+", None, &[]);
    assert_eq!(s.lines(op::LEASED, 1.0, "rpc-unknown", None, &[]), Vec::<String>::new());
    // `reboot` is another tab's for now; `x` is no tab's. Each is asked about, in order.
    let rpc = |method: &str| format!(r#"{{"method":"{method}","params":{{}}}}"#).into_bytes();
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/5", None, &rpc("reboot")), ["holder rpc/reboot"]);
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/6", None, &rpc("x")), ["holder rpc/x"]);
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/7", None, &rpc("x")), ["holder rpc/x"]);
    // Tab 3 holds `reboot`'s turn: it answers, this tab says nothing.
    assert_eq!(s.lines(op::HOLDER, 3.0, "rpc/reboot", None, &[]), Vec::<String>::new());
    // No tab holds `x`'s: the first request for it is answered here.
    assert_eq!(
        s.lines(op::HOLDER, 0.0, "rpc/x", None, &[]),
        ["publish #1 v1/devices/me/rpc/response/6 {\"error\":\"unknown method: x\"} qos=1"]
    );
    // A session that could not say (the shell reports the largest tab number) answers nothing.
    assert_eq!(s.lines(op::HOLDER, 4_294_967_295.0, "rpc/x", None, &[]), Vec::<String>::new());
    assert_eq!(s.lines(op::HOLDER, 0.0, "rpc/x", None, &[]), Vec::<String>::new(), "nothing left to answer");
    // Holding the method's turn, the tab runs it and asks nothing.
    s.lines(op::PUBLISHED, 1.0, "", None, &[]);
    s.lines(op::LEASED, 1.0, "rpc/reboot", None, &[]);
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/8", None, &rpc("reboot")),
        ["rpc #8 reboot {} oneWay=0"]
    );

    // A tab that takes server RPCs with no handler (`enableRpc`) asks for the turn too: a device of
    // its own would answer every method "unknown", and one tab of a shared one does.
    let mut t = Shell::new();
    returns(&t.run(op::CONNECT, 2.0, "", None, &plain(&login)), |_| ());
    t.lines(op::STATE, at(1, 3), "connected", None, &[]);
    let (_, rest) = t.op(op::ENABLE_RPC, 0.0, "", None, &[]);
    assert_eq!(rest, ["lease rpc-unknown", "subscribe v1/devices/me/rpc/request/+"]);
}

// A tab of a shared connection updates only while it holds the device's firmware turn: its updater
// starts watching when the turn is given, and takes no announcement before; on a new host it stops,
// giving up the update under way with no outcome, until the turn comes back.
#[cfg(all(feature = "thingsboard-shared", feature = "thingsboard-device"))]
#[test]
fn a_shared_device_updates_firmware_only_while_it_holds_the_firmware_turn() {
    let mut s = Shell::new();
    let login = json!({"token": "T", "fetchSessionLimits": false});
    returns(&s.run(op::CONNECT, 2.0, "", None, &plain(&login)), |_| ());
    s.lines(op::STATE, at(1, 2), "connected", None, &[]);
    let b = s.run(op::START_FIRMWARE, 0.0, "", None, &plain(&json!({"currentTitle": "TA", "currentVersion": "1.0"})));
    let ((op, kind), rest) = returns(&b, |r| (r.f64(), r.str()));
    assert_eq!((op, kind.as_str(), rest), (-1.0, "fw", vec!["lease firmware/fw".to_string()]), "no shell waits");
    // Another tab's announcement reaches this one: not its turn, so no download.
    let announced =
        br#"{"fw_title":"TA","fw_version":"2.0","fw_size":3,"fw_checksum_algorithm":"CRC32","fw_checksum":"x"}"#;
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/attributes", None, announced),
        [
            r#"shared {"values":{"fw_title":"TA","fw_version":"2.0","fw_size":3,"fw_checksum_algorithm":"CRC32","fw_checksum":"x"},"deleted":[]}"#
        ]
    );
    // The turn: the updater starts as on a connection of its own, and asks for the package.
    assert_eq!(s.lines(op::LEASED, 1.0, "firmware/fw", None, &[]), FIRMWARE_START);
    let lines = s.firmware_started();
    assert!(lines.iter().any(|l| l.starts_with("publish #2 v1/devices/me/attributes/request/2097153 ")), "{lines:?}");
    // Up on a new host (a leader's page went): the turn is asked for again, the request for the
    // package fails and is no error of the shell's (nobody waits for the start) but an error
    // event, and announcements wait for the turn.
    assert_eq!(s.lines(op::STATE, 0.0, "connecting", None, &[]), ["deadline 11000"]);
    assert_eq!(s.lines(op::STATE, at(2, 1), "connected", None, &[]), ["lease firmware/fw", "error CONNECTION_LOST()"]);
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/attributes", None, announced).len(), 1, "the event only");
    // Given again: it watches again, asking for the package anew.
    assert_eq!(
        s.lines(op::LEASED, 1.0, "firmware/fw", None, &[]),
        [
            "deadline 11000",
            "publish #3 v1/devices/me/telemetry {\"current_fw_title\":\"TA\",\"current_fw_version\":\"1.0\"} qos=1",
            "publish #4 v1/devices/me/attributes/request/1048578 {\"sharedKeys\":\"fw_title,fw_version,fw_tag,fw_size,fw_checksum,fw_checksum_algorithm\"} qos=1",
        ]
    );
    // The package's answer starts the download, in this tab only.
    s.lines(op::PUBLISHED, 3.0, "", None, &[]);
    s.lines(op::PUBLISHED, 4.0, "", None, &[]);
    let announced = br#"{"shared":{"fw_title":"TA","fw_version":"2.0","fw_size":3,"fw_checksum_algorithm":"CRC32","fw_checksum":"x"}}"#;
    let lines = s.lines(op::MESSAGE, 0.0, "v1/devices/me/attributes/response/1048578", None, announced);
    assert!(lines.iter().any(|l| l.contains("\"fw_state\":\"DOWNLOADING\"")), "{lines:?}");
    s.lines(op::PUBLISHED, 5.0, "", None, &[]);
    // Another new host while the chunk is asked for: the download is given up with no outcome
    // (the holder starts it again), not failed.
    let lines = s.lines(op::STATE, at(3, 1), "connected", None, &[]);
    assert_eq!(lines[0], "lease firmware/fw");
    assert!(
        lines.contains(
            &"error TB_FIRMWARE_ERROR(\"the update was given up: another tab holds the device's firmware turn\")"
                .to_string()
        ),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("FAILED")), "no FAILED report: {lines:?}");
    // Given back: the same package downloads again.
    s.lines(op::LEASED, 1.0, "firmware/fw", None, &[]);
    let lines = s.lines(op::MESSAGE, 0.0, "v1/devices/me/attributes/response/1048580", None, announced);
    assert!(lines.iter().any(|l| l.contains("\"fw_state\":\"DOWNLOADING\"")), "started again: {lines:?}");
}

// A gateway on a connection the origin's tabs share: its sub-devices' attribute requests are
// numbered in the tab's block, and one tab at a time (the gateway RPC turn's) answers their RPCs.
#[cfg(all(feature = "thingsboard-shared", feature = "thingsboard-gateway"))]
#[test]
fn a_shared_gateway_numbers_its_requests_in_its_tab_s_block_and_takes_a_turn_on_sub_device_rpcs() {
    let mut s = Shell::new();
    returns(&s.run(op::CONNECT, 3.0, "", None, &plain(&token())), |_| ());
    assert!(s.core.take_shared_options().is_some());
    s.lines(op::STATE, at(1, 2), "connected", None, &[]);
    let (_, rest) = s.op(op::DEVICE_REQUEST_ATTRIBUTES, 1.0, "Pump 7", Some(r#"["mode"]"#), &[]);
    assert_eq!(rest, ["subscribe v1/gateway/attributes/response"]);
    assert_eq!(
        s.lines(op::SUBSCRIBED, 1.0, "v1/gateway/attributes/response", None, &[]),
        ["deadline 11000", "publish #1 v1/gateway/attributes/request {\"id\":2097153,\"device\":\"Pump 7\",\"client\":true,\"key\":\"mode\"} qos=1"]
    );
    // Another tab's single-key answer names no key: it is that tab's, and no error here.
    let mut answer = |body: &[u8]| s.lines(op::MESSAGE, 0.0, "v1/gateway/attributes/response", None, body);
    assert_eq!(answer(br#"{"id":1048577,"device":"Pump 7","value":1}"#), ["deadline 11000"]);
    assert_eq!(answer(br#"{"id":2097153,"device":"Pump 7","value":"auto"}"#), [r#"done #1 {"mode":"auto"}"#]);
    let (op, rest) = s.op(op::ENABLE_DEVICE_RPC, 0.0, "", None, &[]);
    assert_eq!(rest, ["lease gateway/rpc", "subscribe v1/gateway/rpc"]);
    s.lines(op::SUBSCRIBED, 1.0, "v1/gateway/rpc", None, &[]);
    let rpc = br#"{"device":"Pump 7","data":{"id":4,"method":"stop","params":{}}}"#;
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/gateway/rpc", None, rpc),
        Vec::<String>::new(),
        "another tab's turn, or no tab's: not answered here, not even as unknown"
    );
    assert_eq!(s.lines(op::LEASED, 1.0, "gateway/rpc", None, &[]), Vec::<String>::new());
    let lines = s.lines(op::MESSAGE, 0.0, "v1/gateway/rpc", None, rpc);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("device rpc {\"device\":\"Pump 7\""), "{lines:?}");
    assert!(op > 0.0);
}

// A device of its own knows no turns: a connection's states change nothing, and an unknown method is
// answered as unknown.
#[test]
fn a_device_of_its_own_ignores_states_and_answers_unknown_methods() {
    let mut s = Shell::connected(token(), false);
    assert_eq!(
        returns(&s.run(op::ON_RPC, 0.0, "reboot", None, &plain(&Value::Null)), |_| ()).1,
        ["subscribe v1/devices/me/rpc/request/+"],
        "no turn asked for"
    );
    s.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/rpc/request/+", None, &[]);
    let (call, rest) = s.op(op::CALL, 0.0, "getTime", None, &[]);
    assert_eq!(rest, ["subscribe v1/devices/me/rpc/response/+"]);
    s.lines(op::SUBSCRIBED, 1.0, "v1/devices/me/rpc/response/+", None, &[]);
    // A request waiting for its answer outlives the connection's states, as its id does.
    assert_eq!(s.lines(op::STATE, 5.0, "connecting", None, &[]), ["deadline 11000"]);
    assert_eq!(s.lines(op::STATE, 8_589_934_597.0, "connected", None, &[]), ["deadline 11000"]);
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/response/1", None, b"{}"), [format!("done #{call} {{}}")]);
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/4", None, br#"{"method":"x","params":{}}"#),
        ["publish #2 v1/devices/me/rpc/response/4 {\"error\":\"unknown method: x\"} qos=1"]
    );
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "v1/devices/me/rpc/request/5", None, br#"{"method":"reboot","params":{}}"#),
        ["rpc #5 reboot {} oneWay=0"]
    );
}

#[test]
fn a_gateway_connects_its_devices_and_keeps_their_list() {
    let mut s = Shell::connected(token(), true);
    let (op, rest) = s.op(op::CONNECT_DEVICE, 0.0, "Pump 7", Some("\"pump\""), &[]);
    assert_eq!(rest, ["publish #1 v1/gateway/connect {\"device\":\"Pump 7\",\"type\":\"pump\"} qos=1"]);
    assert_eq!(s.lines(op::PUBLISHED, 1.0, "", None, &[]), [format!("done #{op} null")]);
    assert_eq!(returns(&s.run(op::DEVICES, 0.0, "", None, &[]), |r| r.str()).0, r#"["Pump 7"]"#);
    let (_, rest) = s.op(op::DEVICE_TELEMETRY, 0.0, "Pump 7", Some(r#"{"rpm":1200}"#), &[]);
    assert!(
        rest[0].starts_with("publish #2 v1/gateway/telemetry {\"Pump 7\":[{\"ts\":1000,\"values\":{\"rpm\":1200}}]}"),
        "{rest:?}"
    );
    let (op, _) = s.op(op::DISCONNECT_DEVICE, 0.0, "Pump 7", None, &[]);
    assert_eq!(s.lines(op::PUBLISHED, 3.0, "", None, &[]), [format!("done #{op} null")]);
    assert_eq!(returns(&s.run(op::DEVICES, 0.0, "", None, &[]), |r| r.str()).0, "[]");
}

#[test]
fn provisioning_connects_subscribes_publishes_and_ends_with_the_credentials() {
    let mut s = Shell::new();
    let request =
        json!([{"deviceName": "D1", "provisionDeviceKey": "k", "provisionDeviceSecret": "s"}, {"timeoutMs": 2000}]);
    let ((), rest) = returns(&s.run(op::PROVISION, 0.0, "", None, &plain(&request)), |_| ());
    assert!(rest.is_empty());
    let client: Value = serde_json::from_str(&s.core.take_connection().unwrap().options_json()).unwrap();
    assert_eq!((&client["username"], &client["reconnect"]), (&json!("provision"), &json!({"enabled": false})));
    assert_eq!(s.lines(op::STATE, 0.0, "connected", None, &[]), ["deadline 3000", "subscribe /provision/response"]);
    let published = s.lines(op::SUBSCRIBED, 1.0, "/provision/response", None, &[]);
    assert!(published[1].starts_with("publish #0 /provision/request {"), "{published:?}");
    s.lines(op::PUBLISHED, 0.0, "", None, &[]);
    let answer = br#"{"status":"SUCCESS","credentialsType":"ACCESS_TOKEN","credentialsValue":"tok"}"#;
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "/provision/response", None, answer),
        [r#"provisioned {"credentialsType":"ACCESS_TOKEN","token":"tok"}"#]
    );
    let typo = plain(
        &json!([{"provisionDeviceKey": "k", "provisionDeviceSecret": "s", "credentialType": "MQTT_BASIC"}, null]),
    );
    let lines = Shell::new().lines(op::PROVISION, 0.0, "", None, &typo);
    assert!(lines[0].starts_with("throw INVALID_OPTION(\"credentialType\", "), "{lines:?}");
    let mut late = Shell::new();
    late.run(op::PROVISION, 0.0, "", None, &plain(&request));
    late.now += 2_000;
    assert_eq!(late.lines(op::HANDLE_TIMEOUT, 0.0, "", None, &[]).len(), 0, "the timeout runs from the connect");
}

#[test]
fn firmware_updates_start_by_subscribing_and_asking_for_the_package() {
    let mut s = Shell::connected(token(), false);
    let options = plain(&json!({"currentTitle": "TA", "currentVersion": "1.0", "chunkSize": 4}));
    let b = s.run(op::START_FIRMWARE, 0.0, "", None, &options);
    let ((op, kind), rest) = returns(&b, |r| (r.f64(), r.str()));
    assert_eq!(kind, "fw");
    assert_eq!(rest, FIRMWARE_START);
    let lines = s.firmware_started();
    assert!(lines.iter().any(|l| l.starts_with("publish #2 v1/devices/me/attributes/request/1 ")), "{lines:?}");
    s.lines(op::PUBLISHED, 2.0, "", None, &[]);
    let announced = br#"{"shared":{"fw_title":"TA","fw_version":"2.0","fw_size":3,"fw_checksum_algorithm":"CRC32","fw_checksum":"x"}}"#;
    let lines = s.lines(op::MESSAGE, 0.0, "v1/devices/me/attributes/response/1", None, announced);
    assert_eq!(
        lines,
        [
            format!("done #{op} null"),
            "publish #3 v1/devices/me/telemetry {\"current_fw_title\":\"TA\",\"current_fw_version\":\"1.0\",\"fw_state\":\"DOWNLOADING\"} qos=1".to_string(),
            "firmware {\"type\":\"available\",\"package\":{\"kind\":\"fw\",\"title\":\"TA\",\"version\":\"2.0\",\"tag\":null,\"size\":3,\"checksum\":\"x\",\"algorithm\":\"CRC32\"}}".to_string(),
        ]
    );
    // Once the state report is acknowledged, the first chunk of at most 4 bytes is asked for.
    assert_eq!(
        s.lines(op::PUBLISHED, 3.0, "", None, &[]),
        [
            "deadline 11000",
            "publish #4 v2/fw/request/2/chunk/0 4 qos=1",
            "firmware {\"type\":\"state\",\"kind\":\"fw\",\"state\":\"DOWNLOADING\",\"error\":null}",
        ]
    );
}

/// A firmware update of `[1, 2, 3]` in chunks of 2 bytes with an `algorithm` checksum: every
/// publish acknowledged, every chunk request answered, each digest the core asks for answered by
/// `digest`, the image installed, a failure's words given as "words of" its code. Returns
/// the `fw_state` reports with their `fw_error`, and every record.
fn firmware_update(
    algorithm: &str,
    digest: impl Fn(&str, &[u8]) -> Result<Vec<u8>, String>,
) -> (Vec<String>, Vec<String>) {
    use iotmqtt::platforms::thingsboard::checksum::ChecksumAlgorithm;
    let mut s = Shell::connected(token(), false);
    let b = s.run(op::START_FIRMWARE, 0.0, "", None, &plain(&json!({"chunkSize": 2})));
    returns(&b, |r| (r.f64(), r.str()));
    for filter in
        ["v2/fw/response/+/chunk/+", "v2/fw/error", "v1/devices/me/attributes", "v1/devices/me/attributes/response/+"]
    {
        s.lines(op::SUBSCRIBED, 1.0, filter, None, &[]);
    }
    s.lines(op::PUBLISHED, 1.0, "", None, &[]);
    let image = [1u8, 2, 3];
    let checksum = ChecksumAlgorithm::parse(algorithm).unwrap().hex(&image);
    let announced = json!({"shared": {"fw_title": "TA", "fw_version": "2.0", "fw_size": 3, "fw_checksum_algorithm": algorithm, "fw_checksum": checksum}});
    s.lines(op::MESSAGE, 0.0, "v1/devices/me/attributes/response/1", None, announced.to_string().as_bytes());
    let mut publishes = Vec::new();
    let mut log = Vec::new();
    let mut pending: Vec<String> = s.lines(op::PUBLISHED, 2.0, "", None, &[]);
    for _ in 0..20 {
        let mut next = Vec::new();
        for line in pending.drain(..) {
            log.push(line.clone());
            if let Some(rest) = line.strip_prefix("publish #") {
                let (id, rest) = rest.split_once(' ').unwrap();
                publishes.push(rest.to_owned());
                if let Some(chunk) = rest.strip_prefix("v2/fw/request/2/chunk/") {
                    let index: usize = chunk.split(' ').next().unwrap().parse().unwrap();
                    next.extend(s.lines(op::PUBLISHED, id.parse().unwrap(), "", None, &[]));
                    let part = &image[(index * 2).min(3)..(index * 2 + 2).min(3)];
                    next.extend(s.lines(op::MESSAGE, 0.0, &format!("v2/fw/response/2/chunk/{index}"), None, part));
                } else {
                    next.extend(s.lines(op::PUBLISHED, id.parse().unwrap(), "", None, &[]));
                }
            } else if let Some(rest) = line.strip_prefix("digest #") {
                let mut words = rest.split(' ');
                let (generation, kind, name) = (words.next().unwrap(), words.next().unwrap(), words.next().unwrap());
                assert_eq!((kind, words.collect::<Vec<_>>().join(" ")), ("kind=0", "[1, 2, 3]".to_owned()));
                let generation: f64 = generation.parse().unwrap();
                // Answers for no digest awaited change nothing: another update's, the software
                // updater's (kind 1).
                let answer = [&[0], &[9u8; 32][..]].concat();
                assert_eq!(s.lines(op::DIGESTED, generation + 1.0, "", Some("null"), &answer), Vec::<String>::new());
                assert_eq!(s.lines(op::DIGESTED, generation, "", Some("null"), &[1, 9, 9]), Vec::<String>::new());
                let answered = match digest(name, &image) {
                    Ok(d) => s.lines(op::DIGESTED, generation, "", Some("null"), &[&[0], &d[..]].concat()),
                    Err(e) => s.lines(op::DIGESTED, generation, &e, None, &[0]),
                };
                // A second answer to the same request changes nothing either.
                assert_eq!(s.lines(op::DIGESTED, generation, "", Some("null"), &answer), Vec::<String>::new());
                next.extend(answered);
            } else if let Some(rest) = line.strip_prefix("describe #") {
                let (generation, rest) = rest.split_once(" kind=0 ").unwrap();
                let words = format!("words of {}", rest.split('(').next().unwrap());
                let generation: f64 = generation.parse().unwrap();
                assert_eq!(s.lines(op::DESCRIBED, generation + 1.0, "stray", None, &[0]), Vec::<String>::new());
                assert_eq!(s.lines(op::DESCRIBED, generation, "stray", None, &[1]), Vec::<String>::new());
                next.extend(s.lines(op::DESCRIBED, generation, &words, None, &[0]));
                assert_eq!(s.lines(op::DESCRIBED, generation, "again", None, &[0]), Vec::<String>::new());
            } else if let Some(rest) = line.strip_prefix("install #") {
                assert!(rest.ends_with("[1, 2, 3]"), "{rest}");
                next.extend(s.lines(
                    op::INSTALLED,
                    rest.split(' ').next().unwrap().parse().unwrap(),
                    "",
                    Some("null"),
                    &[0],
                ));
            }
        }
        pending = next;
    }
    assert_eq!(publishes.iter().filter(|p| p.starts_with("v2/fw/request/2/chunk/")).count(), 2, "{publishes:?}");
    let states = publishes
        .iter()
        .filter_map(|p| {
            let state = p.split("\"fw_state\":\"").nth(1)?.split('"').next()?;
            Some(match p.split("\"fw_error\":\"").nth(1).and_then(|e| e.split('"').next()) {
                Some(error) => format!("{state}: {error}"),
                None => state.to_owned(),
            })
        })
        .collect();
    (states, log)
}

// docs/platforms/thingsboard.md#firmware: the core asks its shell for the CRC32 (by ThingsBoard's
// name), once, and compares it with fw_checksum.
#[test]
fn a_firmware_update_downloads_verifies_installs_and_reports_each_state() {
    use iotmqtt::platforms::thingsboard::checksum::ChecksumAlgorithm;
    let crc32 = |name: &str, image: &[u8]| {
        assert_eq!(name, "CRC32");
        Ok(ChecksumAlgorithm::Crc32.digest(image))
    };
    let (states, log) = firmware_update("CRC32", crc32);
    assert_eq!(states, ["DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"], "{log:#?}");
    assert_eq!(
        log.iter().filter(|l| l.starts_with("digest #")).collect::<Vec<_>>(),
        ["digest #1 kind=0 CRC32 [1, 2, 3]"]
    );
    assert!(
        log.iter().any(|l| l.starts_with("install #1 {\"kind\":\"fw\",\"title\":\"TA\",\"version\":\"2.0\"")),
        "{log:#?}"
    );
}

// SHA-2 digests are the shell's (SubtleCrypto in the browser): the core asks once, then compares.
#[test]
fn a_sha2_checksum_is_compared_with_the_digest_the_shell_computes() {
    use iotmqtt::platforms::thingsboard::checksum::ChecksumAlgorithm;
    let sha256 = |name: &str, image: &[u8]| {
        assert_eq!(name, "SHA-256");
        Ok(ChecksumAlgorithm::Sha256.digest(image))
    };
    let (states, log) = firmware_update("SHA256", sha256);
    assert_eq!(states, ["DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"], "{log:#?}");
    assert_eq!(
        log.iter().filter(|l| l.starts_with("digest #")).collect::<Vec<_>>(),
        ["digest #1 kind=0 SHA-256 [1, 2, 3]"]
    );

    let (states, log) = firmware_update("SHA512", |_, image: &[u8]| Ok(ChecksumAlgorithm::Sha512.digest(&image[1..])));
    assert_eq!(states, ["DOWNLOADED", "FAILED: words of TB_CHECKSUM_MISMATCH"], "{log:#?}");
    let described: Vec<_> = log.iter().filter(|l| l.starts_with("describe #")).collect();
    assert_eq!(described.len(), 1, "{log:#?}");
    assert!(described[0].starts_with("describe #1 kind=0 TB_CHECKSUM_MISMATCH(\"SHA512\", \""), "{described:?}");
    assert!(!log.iter().any(|l| l.starts_with("install #")), "{log:#?}");

    let (states, log) = firmware_update("SHA384", |_, _| Err("not a secure context".into()));
    assert_eq!(states, ["DOWNLOADED", "FAILED: words of TB_FIRMWARE_ERROR"], "{log:#?}");
    assert_eq!(
        log.iter().filter(|l| l.starts_with("describe #")).collect::<Vec<_>>(),
        ["describe #1 kind=0 TB_FIRMWARE_ERROR(\"no SHA384 digest of the image: not a secure context\")"]
    );
}
