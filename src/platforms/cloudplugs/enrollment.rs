//! Enrollment of a thing or a controller: the CONNECT with empty credentials, the topic to
//! subscribe to, and the one reply, `{"id","auth"}` or `{"err","msg"}` (docs/platforms/cloudplugs.md#enrollment).

use crate::json::Value;
use serde::{Deserialize, Serialize};

use super::error::{shown, CloudPlugsError};
use super::identity::{level_problem, validate_hwid, ClientId};
use crate::json::text;
use crate::session::{ConnectOptions, ProtocolVersion};

/// What to enroll as: a thing of a production template, or a controller of an enrolled thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum EnrollmentRequest {
    #[serde(rename_all = "camelCase")]
    Thing { model: String, pass: String },
    #[serde(rename_all = "camelCase")]
    Controller { model: String, thing_hwid: String, pass: String },
}

impl EnrollmentRequest {
    /// `MODEL/thing/PASS` or `MODEL/ctrl/THING_HWID/PASS`, each part checked as one topic level.
    pub fn topic(&self) -> Result<String, CloudPlugsError> {
        match self {
            Self::Thing { model, pass } => {
                check_level("model", model)?;
                check_level("pass", pass)?;
                Ok(format!("{model}/thing/{pass}"))
            }
            Self::Controller { model, thing_hwid, pass } => {
                check_level("model", model)?;
                validate_hwid(thing_hwid)?;
                check_level("pass", pass)?;
                Ok(format!("{model}/ctrl/{thing_hwid}/{pass}"))
            }
        }
    }
}

fn check_level(field: &'static str, value: &str) -> Result<(), CloudPlugsError> {
    match level_problem(value) {
        Some(reason) => Err(CloudPlugsError::InvalidEnrollment { field, value: shown(value), reason }),
        None => Ok(()),
    }
}

/// What a successful enrollment gives: the login for every later connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub plug_id: String,
    pub auth: String,
}

crate::write_fields!(Credentials { plug_id = "plugId", auth });

/// The CONNECT of an enrollment: MQTT 3.1.1, empty username and password, client id `HWID[/NAME]`.
pub fn enrollment_connect_options(client_id: &ClientId, connect_timeout_ms: u64) -> ConnectOptions {
    ConnectOptions {
        version: ProtocolVersion::V3_1_1,
        client_id: client_id.to_string(),
        username: Some(String::new()),
        password: Some(String::new()),
        keepalive_secs: super::options::DEFAULT_KEEPALIVE_SECS,
        connect_timeout_ms,
        ..Default::default()
    }
}

/// Reads the reply published on the enrollment topic.
pub fn parse_enrollment_reply(payload: &[u8]) -> Result<Credentials, CloudPlugsError> {
    let malformed = |detail: String| CloudPlugsError::MalformedReply { what: "enrollment reply", detail };
    let value: Value = crate::json::parse(payload).map_err(|e| malformed(format!("not JSON ({e})")))?;
    let Value::Object(reply) = value else {
        return Err(malformed("not a JSON object".into()));
    };
    if let Some(err) = reply.get("err") {
        let (err, msg) = read_err(err, reply.get("msg")).map_err(malformed)?;
        return Err(CloudPlugsError::EnrollmentRefused { err, msg });
    }
    match (reply.get("id").and_then(Value::as_str), reply.get("auth").and_then(Value::as_str)) {
        (Some(id), Some(auth)) if !id.is_empty() && !auth.is_empty() => {
            Ok(Credentials { plug_id: id.to_owned(), auth: auth.to_owned() })
        }
        _ => Err(malformed("expected {\"id\":PLUG_ID,\"auth\":String} or {\"err\":Number,\"msg\":String}".into())),
    }
}

/// Reads CloudPlugs' `{"err": Number, "msg"?: String}`, shared by enrollment and property replies.
pub(crate) fn read_err(err: &Value, msg: Option<&Value>) -> Result<(i64, String), String> {
    let code = match err {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    };
    let Some(code) = code else {
        return Err(format!("\"err\" should be a number, not {}", shown(&text(err))));
    };
    let msg = match msg {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => String::new(),
        Some(other) => text(other),
    };
    Ok((code, msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thing() -> EnrollmentRequest {
        EnrollmentRequest::Thing { model: "MODEL".into(), pass: "PASS".into() }
    }

    // docs/platforms/cloudplugs.md#enrollment: "topic or channel for enrolling a thing: MODEL/thing/PASS".
    #[test]
    fn a_thing_enrolls_on_model_thing_pass() {
        assert_eq!(thing().topic(), Ok("MODEL/thing/PASS".to_owned()));
    }

    // docs/platforms/cloudplugs.md#enrollment: a controller enrolls on MODEL/ctrl/THING_HWID/PASS.
    #[test]
    fn a_controller_enrolls_on_model_ctrl_thing_hwid_pass() {
        let c = EnrollmentRequest::Controller { model: "MODEL".into(), thing_hwid: "SN-1".into(), pass: "PASS".into() };
        assert_eq!(c.topic(), Ok("MODEL/ctrl/SN-1/PASS".to_owned()));
    }

    #[test]
    fn topic_parts_that_would_change_the_topic_are_refused() {
        let bad_pass = EnrollmentRequest::Thing { model: "MODEL".into(), pass: "a/b".into() };
        assert_eq!(bad_pass.topic().map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_ENROLLMENT"));
        let bad_model = EnrollmentRequest::Thing { model: "+".into(), pass: "p".into() };
        assert_eq!(bad_model.topic().map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_ENROLLMENT"));
        let bad_thing = EnrollmentRequest::Controller { model: "M".into(), thing_hwid: "".into(), pass: "p".into() };
        assert_eq!(bad_thing.topic().map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_HWID"));
    }

    // docs/platforms/cloudplugs.md#enrollment: a CONNECT "with an empty username and an empty password".
    #[test]
    fn the_enrollment_connect_has_empty_credentials_and_the_hwid_name_client_id() {
        let id = ClientId::new("SN-1", Some("Pump")).expect("valid client id");
        let o = enrollment_connect_options(&id, 5_000);
        assert_eq!((o.username.as_deref(), o.password.as_deref()), (Some(""), Some("")));
        assert_eq!(o.client_id, "SN-1/Pump");
        assert_eq!(o.version, ProtocolVersion::V3_1_1);
    }

    // docs/platforms/cloudplugs.md#enrollment: success is {"id": PLUG_ID, "auth": String}.
    #[test]
    fn a_successful_reply_gives_the_plug_id_and_auth() {
        let r = parse_enrollment_reply(br#"{"id":"dev-123456789012345678901234","auth":"s3cret"}"#);
        assert_eq!(r, Ok(Credentials { plug_id: "dev-123456789012345678901234".into(), auth: "s3cret".into() }));
    }

    // docs/platforms/cloudplugs.md#enrollment: failure is {"err": Number, "msg": String}; "msg" is optional.
    #[test]
    fn a_failure_reply_is_a_typed_refusal_with_err_and_msg() {
        let r = parse_enrollment_reply(br#"{"err":401,"msg":"wrong enrollment pass"}"#);
        assert_eq!(r, Err(CloudPlugsError::EnrollmentRefused { err: 401, msg: "wrong enrollment pass".into() }));
        let r = parse_enrollment_reply(br#"{"err":7}"#).map_err(|e| e.code());
        assert_eq!(r, Err("CLOUDPLUGS_ENROLLMENT_REFUSED"));
    }

    #[test]
    fn a_malformed_reply_is_a_typed_error_not_a_panic() {
        for bad in [&b"not json"[..], b"[]", b"{}", br#"{"id":"x"}"#, br#"{"err":"x"}"#, b"\xff\xfe", b""] {
            let r = parse_enrollment_reply(bad).map_err(|e| e.code());
            assert_eq!(r, Err("CLOUDPLUGS_MALFORMED_REPLY"), "{bad:?}");
        }
    }

    #[test]
    fn credentials_serialize_for_javascript_as_plug_id_and_auth() {
        let c = Credentials { plug_id: "dev-1".into(), auth: "a".into() };
        assert_eq!(serde_json::to_value(&c).ok(), Some(serde_json::json!({"plugId":"dev-1","auth":"a"})));
    }
}
