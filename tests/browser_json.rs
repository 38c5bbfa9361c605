//! Platform JSON in the browser goes through `JSON.parse` (src/json/browser.rs), not
//! serde_json's parser: the same documents give the same values, bad input a typed error, never a
//! panic or a stack overflow.
#![cfg(target_arch = "wasm32")]

use iotmqtt::json;
use iotmqtt::json::Value;
use iotmqtt::json::{from_slice, parse, MAX_DEPTH};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn documents_read_as_serde_json_reads_them() {
    let text = r#"{"s":"é\u00e9\ud83d\ude00","n":[0,-7,18446744073709551615e0,1.5,-2.25e-3,9007199254740993],
        "b":[true,false],"z":null,"o":{"__proto__":{"x":1},"":2}}"#;
    let value = parse(text.as_bytes()).unwrap();
    assert_eq!(value["s"], "éé😀");
    assert_eq!(value["n"][0], json!(0));
    assert_eq!(value["n"][1].as_i64(), Some(-7));
    assert_eq!(value["n"][3], json!(1.5));
    assert_eq!(value["n"][4], json!(-2.25e-3));
    assert_eq!(value["n"][2].as_f64(), Some(2f64.powi(64)), "2^64 is past u64: a float");
    assert_eq!(value["b"], json!([true, false]));
    assert_eq!(value["z"], Value::Null);
    assert_eq!(value["o"]["__proto__"], json!({"x": 1}), "an own key, not the prototype");
    assert_eq!(value["o"][""], json!(2));
}

#[wasm_bindgen_test]
fn whole_numbers_are_integers() {
    let value = parse(b"[7, -7, 4294967296, 1e3, 1152921504606846976, -9223372036854775808]").unwrap();
    assert_eq!(value[0].as_u64(), Some(7));
    assert_eq!(value[1].as_i64(), Some(-7));
    assert_eq!(value[2].as_u64(), Some(4_294_967_296));
    // serde_json keeps `1e3` a float; JSON.parse cannot tell it from 1000.
    assert_eq!(value[3].as_u64(), Some(1000));
    // What JSON.stringify writes for 2**60 (a JS caller's telemetry) stays an integer.
    assert_eq!(value[4].as_u64(), Some(1 << 60));
    assert_eq!(value[5].as_i64(), Some(i64::MIN));
}

#[wasm_bindgen_test]
fn bad_input_is_an_error() {
    for bad in [&b""[..], b"{", b"{\"a\":1,}", b"\xEF\xBB\xBF{}", b"\xff", b"NaN", b"[1] [2]", b"'x'", b"[1e400]"] {
        assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
    }
}

#[wasm_bindgen_test]
fn nesting_is_limited_as_serde_json_limits_it() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(parse(deep(MAX_DEPTH).as_bytes()).is_ok());
    let too_deep = parse(deep(MAX_DEPTH + 1).as_bytes()).unwrap_err();
    assert!(too_deep.starts_with("[0][0]") && too_deep.ends_with("]: recursion limit exceeded"), "{too_deep}");
    let objects = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    assert!(parse(objects.as_bytes()).is_err(), "100,000 levels: an error, not a stack overflow");
}

#[wasm_bindgen_test]
fn typed_bodies_keep_their_type_checks() {
    assert_eq!(from_slice::<Vec<u32>>(b"[7, 7.0]"), Ok(vec![7, 7]), "JSON.parse: 7.0 is the number 7");
    assert!(from_slice::<Vec<u32>>(b"[-1]").is_err());
    assert!(from_slice::<Vec<u32>>(b"[1.5]").is_err());
    assert!(from_slice::<Vec<u32>>(b"[4294967296]").is_err());
    assert_eq!(from_slice::<Vec<u64>>(b"[9007199254740991]"), Ok(vec![9_007_199_254_740_991]));
}
