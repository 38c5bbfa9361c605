//! The npm package's JavaScript API (wasm-bindgen facade); filled in by the npm-package issue.
