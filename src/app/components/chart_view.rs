//! A canvas chart of a `SeriesSet`; it redraws after every render of its parent that changed
//! the data (the set's version), so at most once per animation frame, and every second besides, so
//! that its time window slides on when the data stops (issue 22, point 8).

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::app::chart::{draw, SeriesSet};
use crate::app::hooks::{now_ms, use_tick};

#[derive(Properties)]
pub struct ChartViewProps {
    pub series: Rc<RefCell<SeriesSet>>,
    pub version: u64,
    pub label: AttrValue,
    #[prop_or(60_000.0)]
    pub window_ms: f64,
}

impl PartialEq for ChartViewProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.series, &other.series) && self.version == other.version && self.window_ms == other.window_ms
    }
}

#[component]
pub fn ChartView(props: &ChartViewProps) -> Html {
    let canvas = use_node_ref();
    use_tick(1_000, true);
    {
        let (canvas, series, window_ms) = (canvas.clone(), props.series.clone(), props.window_ms);
        use_effect(move || {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                draw(&c, &series.borrow(), window_ms, now_ms());
            }
        });
    }
    html! { <canvas class="chart" ref={canvas} role="img" aria-label={props.label.clone()}></canvas> }
}
