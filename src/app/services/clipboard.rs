//! The browser's clipboard and file downloads: what "Copy" and "Export" buttons do.

use wasm_bindgen::JsCast;

/// `navigator.clipboard.writeText(text)`; false when the browser refuses (no permission, no
/// secure context).
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let clipboard = js_sys::Reflect::get(&window.navigator(), &"clipboard".into()).unwrap_or_default();
    let write = js_sys::Reflect::get(&clipboard, &"writeText".into()).unwrap_or_default();
    let Some(write) = write.dyn_ref::<js_sys::Function>() else { return false };
    match write.call1(&clipboard, &text.into()).map(|p| p.dyn_into::<js_sys::Promise>()) {
        Ok(Ok(promise)) => wasm_bindgen_futures::JsFuture::from(promise).await.is_ok(),
        _ => false,
    }
}

/// Offers `text` to the user as a file named `name`: a Blob, an object URL and a link clicked.
pub fn download(name: &str, media_type: &str, text: &str) -> Result<(), String> {
    let fail = |what: &str| format!("the browser refused the download ({what})");
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| fail("no document"))?;
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| fail("Blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("URL"))?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").map_err(|_| fail("link"))?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The click has started the download; the URL is no longer needed once the event loop turns.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = web_sys::window().map(|w| w.set_timeout_with_callback(revoke.unchecked_ref()));
    Ok(())
}
