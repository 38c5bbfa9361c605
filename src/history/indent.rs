//! A JSON payload indented for reading, every token as it was sent: `2.50` stays `2.50` and keys
//! keep their order, which a parse-and-print round trip would not promise.

/// `text`, which must be JSON (the caller checks), with two spaces per level, one member or element
/// per line, and a space after each colon. Whitespace outside strings is replaced; strings are kept.
pub fn indent(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on its line.
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                match chars.peek() {
                    Some('}' | ']') => out.push(chars.next().unwrap_or(c)),
                    _ => {
                        depth += 1;
                        newline(&mut out, depth);
                    }
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::indent;

    #[test]
    fn tokens_stay_as_sent_and_each_member_gets_a_line() {
        assert_eq!(
            indent(r#"{"z": 2.50,"a":[1, {"s":"x, {y}: \"q\""}],"e":{ },"f":[]}"#),
            "{\n  \"z\": 2.50,\n  \"a\": [\n    1,\n    {\n      \"s\": \"x, {y}: \\\"q\\\"\"\n    }\n  ],\n  \"e\": {},\n  \"f\": []\n}"
        );
        assert_eq!(indent(" 7 "), "7");
        assert_eq!(indent(r#""a\\""#), r#""a\\""#);
    }
}
