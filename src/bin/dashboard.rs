//! The dashboard's entry point, built by Trunk with the "app" feature.

fn main() {
    yew::Renderer::<iotmqtt::app::App>::new().render();
}
