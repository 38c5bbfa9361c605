//! Every stable error code the Rust side writes as a literal (`=> "CODE"` in a `code()` match) is
//! in the TypeScript `ErrorCode` union of the npm package, so `switch (err.code)` can name it.

const TYPES: &str = include_str!("../npm/src/types.ts");
const SOURCES: &[(&str, &str)] = &[
    ("src/error.rs", include_str!("../src/error.rs")),
    ("src/session/reason.rs", include_str!("../src/session/reason.rs")),
    ("src/platforms/thingsboard/error.rs", include_str!("../src/platforms/thingsboard/error.rs")),
    ("src/platforms/things_stack/error.rs", include_str!("../src/platforms/things_stack/error.rs")),
    ("src/platforms/cloudplugs/error.rs", include_str!("../src/platforms/cloudplugs/error.rs")),
    ("src/shared/mod.rs", include_str!("../src/shared/mod.rs")),
];

/// The string literals right after `=> ` that look like codes: upper case, digits and `_`.
fn literal_codes(source: &str) -> Vec<&str> {
    source
        .split("=> \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|s| s.len() > 3 && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .collect()
}

/// The members of `export type ErrorCode = ... ;` in the package's types (npm/src/types.ts).
fn union_members() -> Vec<&'static str> {
    let start = TYPES.find("export type ErrorCode =").expect("the ErrorCode union");
    let body = &TYPES[start..];
    let body = &body[..body.find(';').expect("the end of the union")];
    body.split('"').skip(1).step_by(2).collect()
}

#[test]
fn every_literal_error_code_is_in_the_typescript_union() {
    let members = union_members();
    assert!(members.len() > 50, "the union was not found whole: {members:?}");
    let mut missing = Vec::new();
    let mut seen = 0;
    for (file, source) in SOURCES {
        for code in literal_codes(source) {
            seen += 1;
            if !members.contains(&code) {
                missing.push(format!("{code} ({file})"));
            }
        }
    }
    assert!(seen > 60, "too few codes found ({seen}): has the `=> \"CODE\"` form changed?");
    assert!(missing.is_empty(), "codes missing from ErrorCode in npm/src/types.ts: {missing:?}");
}
