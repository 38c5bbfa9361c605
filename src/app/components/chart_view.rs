//! A canvas chart of a `SeriesSet`, a band per visible series, with a legend of buttons that show
//! and hide each series. It redraws after every render of its parent that changed the data (the
//! set's version), so at most once per animation frame, and every second besides, so that its time
//! window slides on when the data stops (issue 22, point 8).

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::app::chart::{draw, BAND_PX};
use crate::app::hooks::{now_ms, use_tick};
use crate::chart::SeriesSet;

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
    // A legend click changes the set behind the parent's back: this redraws.
    let toggles = use_state(|| 0u32);
    use_tick(1_000, true);
    {
        let (canvas, series, window_ms) = (canvas.clone(), props.series.clone(), props.window_ms);
        use_effect(move || {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                draw(&c, &series.borrow(), window_ms, now_ms());
            }
        });
    }
    let set = props.series.borrow();
    let bands = set.series.iter().filter(|s| s.visible).count().max(1);
    let height = format!("height: {}px", (bands as f64 * BAND_PX + 16.0).max(160.0));
    html! {
        <div class="chart-wrap">
            if !set.is_empty() {
                <div class="legend" role="group" aria-label="Series: press to show or hide">
                    { for set.series.iter().map(|s| {
                        let onclick = {
                            let (series, name, toggles) = (props.series.clone(), s.name.clone(), toggles.clone());
                            Callback::from(move |_| {
                                series.borrow_mut().toggle(&name);
                                toggles.set(*toggles + 1);
                            })
                        };
                        html! {
                            <button type="button" class="legend-item" aria-pressed={s.visible.to_string()} {onclick}>
                                <span class="swatch" style={format!("background: {}", s.color)} />{ &s.name }
                            </button>
                        }
                    }) }
                </div>
            }
            <canvas class="chart" style={height} ref={canvas} role="img" aria-label={props.label.clone()}></canvas>
        </div>
    }
}
