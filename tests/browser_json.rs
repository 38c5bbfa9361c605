//! Platform JSON in the browser goes through `JSON.parse` (src/json/browser.rs), not
//! serde_json's parser: the same documents give the same values, bad input a typed error, never a
//! panic or a stack overflow. JS options objects are read into JSON data by the same code
//! (`from_js`), checked here against serde-wasm-bindgen as an independent converter.
#![cfg(target_arch = "wasm32")]

use iotmqtt::json::{from_js, from_slice, parse, MAX_DEPTH};
use js_sys::{Function, Object, Reflect};
use serde::Serialize;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
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

/// serde-wasm-bindgen's JS form of a document: plain objects and arrays, as a JS caller writes them.
fn js(value: &Value) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

#[wasm_bindgen_test]
fn js_data_reads_back_as_the_document_it_was_made_from() {
    let docs = [
        json!({"version": "5", "keepaliveSecs": 30, "reconnect": {"factor": 1.5, "enabled": false}}),
        json!({"s": "é😀", "n": [0, -7, 2.25, 9_007_199_254_740_991u64], "z": null, "b": [true, false], "": {}}),
        json!([[], [[1]], {"a": [{"b": "c"}]}]),
        json!("text"),
        json!(-0.5),
    ];
    for doc in docs {
        assert_eq!(from_js(&js(&doc)), Ok(doc.clone()), "{doc}");
    }
    assert_eq!(from_js(&JsValue::UNDEFINED), Ok(Value::Null));
    assert_eq!(from_js(&JsValue::from_f64(3.0)), Ok(json!(3)), "a whole JS number is an integer");
}

#[wasm_bindgen_test]
fn what_json_cannot_hold_is_an_error_naming_where_it_is() {
    let nested = |inner: JsValue| {
        let list = js_sys::Array::of2(&1.into(), &Object::new());
        Reflect::set(&list.get(1), &"b".into(), &inner).unwrap();
        let outer = Object::new();
        Reflect::set(&outer, &"a".into(), &list).unwrap();
        from_js(&outer).unwrap_err().to_string()
    };
    assert_eq!(nested(JsValue::from_f64(f64::NAN)), "a[1].b: expected a finite number, got NaN");
    assert_eq!(nested(JsValue::from_f64(f64::NEG_INFINITY)), "a[1].b: expected a finite number, got -Infinity");
    assert_eq!(nested(Function::new_no_args("").into()), "a[1].b: expected JSON data, got a function");
    assert_eq!(nested(JsValue::symbol(None)), "a[1].b: expected JSON data, got a symbol");
    assert_eq!(nested(js_sys::BigInt::from(5).into()), "a[1].b: expected JSON data, got a bigint");
}

#[wasm_bindgen_test]
fn a_throwing_getter_or_a_cycle_is_an_error_not_an_exception_or_a_stack_overflow() {
    let getter = Object::new();
    let descriptor = Object::new();
    Reflect::set(&descriptor, &"get".into(), &Function::new_no_args("throw new Error('boom')")).unwrap();
    Reflect::set(&descriptor, &"enumerable".into(), &true.into()).unwrap();
    Object::define_property(&getter, &"x".into(), &descriptor);
    let holder = Object::new();
    Reflect::set(&holder, &"reconnect".into(), &getter).unwrap();
    assert_eq!(from_js(&holder).unwrap_err().to_string(), "reconnect: could not be read: boom");

    let cycle = Object::new();
    Reflect::set(&cycle, &"self".into(), &cycle).unwrap();
    let err = from_js(&cycle).unwrap_err().to_string();
    assert!(err.starts_with("self.self.self") && err.ends_with(": recursion limit exceeded"), "{err}");
}

#[wasm_bindgen_test]
fn arrays_are_read_through_catching_bindings() {
    let holder = |key: &str, value: &JsValue| {
        let o = Object::new();
        Reflect::set(&o, &key.into(), value).unwrap();
        from_js(&o).unwrap_err().to_string()
    };
    // An item whose getter throws.
    let list = js_sys::Array::of1(&"mqtt".into());
    let descriptor = Object::new();
    Reflect::set(&descriptor, &"get".into(), &Function::new_no_args("throw new Error('boom')")).unwrap();
    Object::define_property(&list, &"0".into(), &descriptor);
    assert_eq!(holder("websocketProtocols", &list), "websocketProtocols[0]: could not be read: boom");
    // A Proxy over an array whose traps throw, and a revoked one (`Array.isArray` itself throws).
    let handler = Object::new();
    Reflect::set(&handler, &"get".into(), &Function::new_no_args("throw new Error('trap')")).unwrap();
    let proxy = js_sys::Proxy::new(&js_sys::Array::new(), &handler);
    assert_eq!(holder("x", &proxy), "x: could not be read: trap");
    let revocable = js_sys::Proxy::revocable(&js_sys::Array::new(), &Object::new());
    Reflect::get(&revocable, &"revoke".into()).unwrap().unchecked_into::<Function>().call0(&JsValue::NULL).unwrap();
    let revoked = Reflect::get(&revocable, &"proxy".into()).unwrap();
    assert!(holder("x", &revoked).starts_with("x: could not be read:"));
}

#[wasm_bindgen_test]
fn an_options_object_may_hold_only_so_many_values() {
    let max = iotmqtt::json::MAX_OPTION_VALUES;
    // A sparse array is refused by its length, before it is walked.
    let sparse = js_sys::Array::new_with_length(u32::MAX);
    assert!(from_js(&sparse).unwrap_err().to_string().starts_with(&format!("more than the {max} values")));
    // One array shared 40 levels deep would be 2^40 values.
    let mut shared: JsValue = "mqtt".into();
    for _ in 0..40 {
        shared = js_sys::Array::of2(&shared, &shared).into();
    }
    assert!(from_js(&shared).unwrap_err().to_string().contains(&format!("more than the {max} values")));
    // One long string shared many times over: text is counted too, before it is copied.
    let long: JsValue = "x".repeat(1 << 20).into();
    let many = js_sys::Array::new();
    for _ in 0..100 {
        many.push(&long);
    }
    assert!(from_js(&many).unwrap_err().to_string().contains("characters) an options object may hold"));
    // Up to the limit is fine; JSON.parse's output has no such limit (it is as large as its text).
    let items: Vec<Value> = (0..max - 1).map(|i| json!(i)).collect();
    assert_eq!(from_js(&js(&Value::Array(items.clone()))), Ok(Value::Array(items)));
    let text = format!("[{}]", vec!["0"; 2 * max].join(","));
    assert_eq!(parse(text.as_bytes()).map(|v| v.as_array().map(Vec::len)), Ok(Some(2 * max)));
}

#[wasm_bindgen_test]
fn an_array_that_lies_about_itself_is_read_item_by_item_or_refused() {
    let run = |source: &str| {
        let make = Function::new_no_args(source);
        from_js(&make.call0(&JsValue::NULL).unwrap())
    };
    // `slice` would build its copy with the array's own species, whose `length` throws.
    let species = run("const a = ['mqtt']; a.constructor = { [Symbol.species]: function () { \
         return { get length() { throw new Error('boom'); }, set length(v) {} }; } }; return a;");
    assert_eq!(species, Ok(json!(["mqtt"])), "read by index, never copied");
    // A length that is not a number, or that changes between reads, is not walked for ever.
    let text_length = run("return new Proxy([], { get: (t, k) => k === 'length' ? '4294967295' : t[k] });");
    assert_eq!(text_length.unwrap_err().to_string(), "an array whose length is not a whole number");
    let growing =
        run("let n = 0; return new Proxy([], { get: (t, k) => k === 'length' ? (n++ ? 4294967295 : 1) : 'x' });");
    assert_eq!(growing, Ok(json!(["x"])), "the length is read once");
    // Bytes are not JSON data.
    let bytes = run("return { payload: new Uint8Array(8) };");
    assert_eq!(bytes.unwrap_err().to_string(), "payload: expected JSON data, got bytes");
}
