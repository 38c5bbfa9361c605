use crate::http::{Request, Response};
pub fn route(_t: &super::CloudPlugs, _r: &Request, _s: &[&str]) -> Response {
    Response::error(404, "stub")
}
