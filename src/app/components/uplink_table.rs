//! Live uplinks of one device (or all): time, f_cnt, f_port, RSSI/SNR, the payload as hex,
//! base64 and text, the decoded JSON, and the full event JSON for the chosen row.

use yew::prelude::*;

use crate::app::components::SelectField;
use crate::app::services::payload::{clock, pretty, preview};
use crate::app::services::things_stack::UplinkRow;

#[derive(Properties, PartialEq)]
pub struct UplinkTableProps {
    pub rows: Vec<UplinkRow>,
    pub devices: Vec<String>,
    pub device: AttrValue,
    pub ondevice: Callback<String>,
    pub decoder: AttrValue,
}

#[component]
pub fn UplinkTable(props: &UplinkTableProps) -> Html {
    let detail = use_state(|| None::<u64>);
    let mut options: Vec<(AttrValue, AttrValue)> = vec![("".into(), "all devices".into())];
    options.extend(props.devices.iter().map(|d| (AttrValue::from(d.clone()), AttrValue::from(d.clone()))));
    let chosen = detail.and_then(|seq| props.rows.iter().find(|r| r.seq == seq)).cloned();
    html! {
        <section class="card" aria-label="Uplinks">
            <div class="row">
                <h3>{ "Uplinks" }</h3>
                <SelectField id="tts-device-filter" label="Device" value={props.device.clone()} {options} onchange={props.ondevice.clone()} />
                <span class="hint">{ format!("decoded with {}", props.decoder) }</span>
            </div>
            <div class="table-wrap">
                <table class="data uplinks" aria-label="Uplink table">
                    <thead><tr>
                        <th>{ "Time" }</th><th>{ "Device" }</th><th>{ "f_cnt" }</th><th>{ "f_port" }</th><th>{ "RSSI / SNR" }</th>
                        <th>{ "Hex" }</th><th>{ "Base64" }</th><th>{ "Text" }</th><th>{ "Decoded" }</th><th></th>
                    </tr></thead>
                    <tbody>
                        { for props.rows.iter().map(|r| {
                            let p = preview(&r.bytes);
                            let decoded = match &r.decoded { None => "-".to_string(), Some(Ok(v)) => v.to_string(), Some(Err(e)) => format!("error: {e}") };
                            let radio = match (r.rssi, r.snr) {
                                (Some(rssi), Some(snr)) => format!("{rssi} dBm / {snr} dB"),
                                (Some(rssi), None) => format!("{rssi} dBm"),
                                _ => "-".into(),
                            };
                            let onclick = { let (d, seq) = (detail.clone(), r.seq); Callback::from(move |_| d.set(Some(seq))) };
                            html! {
                                <tr key={r.seq} class={classes!((*detail == Some(r.seq)).then_some("selected"))}>
                                    <td class="time">{ clock(r.at) }</td>
                                    <td>{ &r.device_id }</td>
                                    <td>{ r.f_cnt.map_or("-".into(), |v| v.to_string()) }</td>
                                    <td>{ r.f_port.map_or("-".into(), |v| v.to_string()) }</td>
                                    <td>{ radio }</td>
                                    <td class="mono">{ p.hex }</td>
                                    <td class="mono">{ p.base64 }</td>
                                    <td class="mono">{ p.text.unwrap_or_else(|| "(not UTF-8)".into()) }</td>
                                    <td class="payload">{ decoded }</td>
                                    <td><button class="secondary small" {onclick} aria-label={format!("Details of uplink {}", r.f_cnt.unwrap_or(0))}>{ "JSON" }</button></td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                if props.rows.is_empty() { <p class="empty">{ "Waiting for uplinks…" }</p> }
            </div>
            if let Some(r) = chosen {
                <div class="detail" aria-label="Uplink details">
                    <div class="row"><h4>{ format!("{} f_cnt {}", r.device_id, r.f_cnt.unwrap_or(0)) }</h4>
                        <button class="secondary small" onclick={Callback::from({ let d = detail.clone(); move |_| d.set(None) })}>{ "Close" }</button></div>
                    <pre class="json">{ pretty(&crate::json::to_value(&*r.up)) }</pre>
                </div>
            }
        </section>
    }
}
