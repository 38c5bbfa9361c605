//! Numeric series in bounded rings and a small canvas plotter for them: one scaled polyline per
//! series over a sliding time window, with a legend. Drawn with CanvasRenderingContext2d.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::app::hooks::Ring;

const PALETTE: [&str; 8] = ["#2f7de1", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0b7285", "#e67700", "#5c940d"];

/// One named series of `(time ms, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: String,
    pub points: Ring<(f64, f64)>,
}

/// The series a chart shows, each bounded to `capacity` points.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSet {
    pub series: Vec<Series>,
    capacity: usize,
    max_series: usize,
    /// Bumped on every change, so a chart knows to redraw.
    pub version: u64,
}

impl SeriesSet {
    pub fn new(capacity: usize, max_series: usize) -> Self {
        Self { series: Vec::new(), capacity, max_series, version: 0 }
    }

    /// Adds a point; a new name gets the next palette colour (beyond `max_series` it is dropped).
    pub fn push(&mut self, name: &str, t_ms: f64, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.version += 1;
        if let Some(s) = self.series.iter_mut().find(|s| s.name == name) {
            s.points.push((t_ms, value));
            return;
        }
        if self.series.len() >= self.max_series {
            return;
        }
        let color = PALETTE[self.series.len() % PALETTE.len()].to_string();
        let mut points = Ring::new(self.capacity);
        points.push((t_ms, value));
        self.series.push(Series { name: name.to_owned(), color, points });
    }

    pub fn clear(&mut self) {
        self.series.clear();
        self.version += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

fn dark_mode() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Draws the last `window_ms` of every series onto `canvas`, sized to its CSS box.
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
    let earliest = set.series.iter().filter_map(|s| s.points.iter().next().map(|p| p.0)).fold(now_ms, f64::min);
    let window_ms = (now_ms - earliest).clamp(10_000.0, window_ms.max(10_000.0));
    let t0 = now_ms - window_ms;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &set.series {
        for &(t, v) in s.points.iter() {
            if t >= t0 {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let (left, right, top, bottom) = (48.0, 8.0, 22.0, 18.0);
    let (pw, ph) = (css_w - left - right, css_h - top - bottom);
    ctx.set_stroke_style_str(grid);
    ctx.set_fill_style_str(fg);
    ctx.set_line_width(1.0);
    if !lo.is_finite() {
        let _ = ctx.fill_text("no numeric data yet", left + 8.0, top + ph / 2.0);
        return;
    }
    if (hi - lo).abs() < 1e-9 {
        lo -= 1.0;
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    for i in 0..=4 {
        let y = top + ph * i as f64 / 4.0;
        ctx.begin_path();
        ctx.move_to(left, y);
        ctx.line_to(left + pw, y);
        ctx.stroke();
        let value = hi - (hi - lo) * i as f64 / 4.0;
        let _ = ctx.fill_text(&short_number(value), 4.0, y + 4.0);
    }
    let _ = ctx.fill_text(&format!("last {} s", (window_ms / 1000.0).round()), left, css_h - 4.0);

    let x = |t: f64| left + (t - t0) / window_ms * pw;
    let y = |v: f64| top + (hi - v) / (hi - lo) * ph;
    let mut legend_x = left;
    for s in &set.series {
        ctx.set_stroke_style_str(&s.color);
        ctx.set_line_width(1.5);
        ctx.begin_path();
        let mut started = false;
        for &(t, v) in s.points.iter().filter(|(t, _)| *t >= t0) {
            if started {
                ctx.line_to(x(t), y(v));
            } else {
                ctx.move_to(x(t), y(v));
                started = true;
            }
        }
        ctx.stroke();
        ctx.set_fill_style_str(&s.color);
        // Few points: mark each one, or a lone value would be invisible.
        let visible: Vec<&(f64, f64)> = s.points.iter().filter(|(t, _)| *t >= t0).collect();
        if visible.len() < 30 {
            for &&(t, v) in &visible {
                ctx.fill_rect(x(t) - 2.0, y(v) - 2.0, 4.0, 4.0);
            }
        }
        ctx.fill_rect(legend_x, 6.0, 10.0, 10.0);
        ctx.set_fill_style_str(fg);
        let _ = ctx.fill_text(&s.name, legend_x + 14.0, 15.0);
        legend_x += 24.0 + s.name.len() as f64 * 6.5;
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
