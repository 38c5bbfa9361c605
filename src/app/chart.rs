//! Draws a `SeriesSet` (`src/chart/`) on a canvas as small multiples: each visible series in a
//! band of its own with its own value axis, so a small series is not flattened under a large one;
//! the same sliding time window for all; a line per run of data, broken at silences; and the
//! minimum-to-maximum envelope of each time slice where points were merged.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::chart::{Series, SeriesSet};

/// The height of one series' band, in CSS pixels.
pub const BAND_PX: f64 = 84.0;

fn dark_mode() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Draws the last `window_ms` of every visible series onto `canvas`, sized to its CSS box.
pub fn draw(canvas: &HtmlCanvasElement, set: &SeriesSet, window_ms: f64, now_ms: f64) {
    let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
    let (css_w, css_h) = (canvas.client_width().max(100) as f64, canvas.client_height().max(80) as f64);
    let (w, h) = ((css_w * ratio) as u32, (css_h * ratio) as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let _ = ctx.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0);
    let (fg, grid) = if dark_mode() { ("#c9d1d9", "#30363d") } else { ("#444c56", "#d8dee4") };
    ctx.clear_rect(0.0, 0.0, css_w, css_h);
    ctx.set_font("11px system-ui, sans-serif");

    // The window shrinks to the data while there is little of it (at least 10 s), so a fresh
    // series fills the chart instead of hugging its right edge.
    let visible: Vec<&Series> = set.series.iter().filter(|s| s.visible).collect();
    let earliest = visible.iter().filter_map(|s| s.first_t()).fold(now_ms, f64::min);
    let window_ms = (now_ms - earliest).clamp(10_000.0, window_ms.max(10_000.0));
    let t0 = now_ms - window_ms;
    let (left, right, bottom) = (52.0, 8.0, 16.0);
    let pw = css_w - left - right;
    ctx.set_fill_style_str(fg);
    let _ = ctx.fill_text(&format!("last {} s", (window_ms / 1000.0).round()), left, css_h - 3.0);
    let shown: Vec<&&Series> = visible.iter().filter(|s| s.range_since(t0).is_some()).collect();
    if shown.is_empty() {
        let _ = ctx.fill_text("no numeric data in this window", left + 8.0, (css_h - bottom) / 2.0);
        return;
    }
    let band = (css_h - bottom) / shown.len() as f64;
    let x = |t: f64| left + (t - t0).max(0.0) / window_ms * pw;
    for (i, s) in shown.into_iter().enumerate() {
        let (top, ph) = (band * i as f64 + 14.0, band - 22.0);
        draw_band(&ctx, s, t0, (top, ph), &x, (fg, grid), (left, pw));
    }
}

/// One series in its band: name, three value ticks, the envelope and the lines.
fn draw_band(
    ctx: &CanvasRenderingContext2d,
    s: &Series,
    t0: f64,
    (top, ph): (f64, f64),
    x: &dyn Fn(f64) -> f64,
    (fg, grid): (&str, &str),
    (left, pw): (f64, f64),
) {
    let Some((mut lo, mut hi)) = s.range_since(t0) else { return };
    if (hi - lo).abs() < 1e-9 {
        lo -= 1.0;
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let y = |v: f64| top + (hi - v) / (hi - lo) * ph;
    ctx.set_stroke_style_str(grid);
    ctx.set_fill_style_str(fg);
    ctx.set_line_width(1.0);
    for i in 0..=2 {
        let yy = top + ph * f64::from(i) / 2.0;
        ctx.begin_path();
        ctx.move_to(left, yy);
        ctx.line_to(left + pw, yy);
        ctx.stroke();
        let _ = ctx.fill_text(&short_number(hi - (hi - lo) * f64::from(i) / 2.0), 4.0, yy + 4.0);
    }
    ctx.set_fill_style_str(&s.color);
    let _ = ctx.fill_text(&s.name, left + 4.0, top - 3.0);
    let runs = s.segments_since(t0);
    // Where slices merged several points, the band between their lowest and highest value.
    ctx.set_global_alpha(0.25);
    for b in runs.iter().flatten().filter(|b| b.max > b.min) {
        ctx.fill_rect(x(b.first_t), y(b.max), (x(b.last_t) - x(b.first_t)).max(1.0), (y(b.min) - y(b.max)).max(1.0));
    }
    ctx.set_global_alpha(1.0);
    ctx.set_stroke_style_str(&s.color);
    ctx.set_line_width(1.5);
    for run in &runs {
        ctx.begin_path();
        for (i, b) in run.iter().enumerate() {
            if i == 0 {
                ctx.move_to(x(b.first_t), y(b.last));
            } else {
                ctx.line_to(x(b.last_t), y(b.last));
            }
        }
        ctx.stroke();
        // A run of one point, or few points: mark each, or a lone value would be invisible.
        if run.len() < 30 {
            for b in run {
                ctx.fill_rect(x(b.last_t) - 2.0, y(b.last) - 2.0, 4.0, 4.0);
            }
        }
    }
}

fn short_number(v: f64) -> String {
    if v.abs() >= 1e5 || (v != 0.0 && v.abs() < 1e-2) {
        format!("{v:.1e}")
    } else if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
