//! Generated telemetry values: a sine, a random walk or a constant per key.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Waveform {
    #[default]
    Sine,
    RandomWalk,
    Constant,
}

impl Waveform {
    pub const ALL: [Waveform; 3] = [Self::Sine, Self::RandomWalk, Self::Constant];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sine => "sine",
            Self::RandomWalk => "random walk",
            Self::Constant => "constant",
        }
    }

    pub fn from_name(name: &str) -> Self {
        Self::ALL.into_iter().find(|w| w.name() == name).unwrap_or_default()
    }
}

/// One generated key: `base` is the centre (or the constant), `amplitude` the swing (or the step).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorKey {
    pub name: String,
    pub waveform: Waveform,
    pub base: f64,
    pub amplitude: f64,
}

impl GeneratorKey {
    pub fn start(&self) -> f64 {
        self.base
    }

    /// The value at `t` seconds, given the previous one.
    pub fn next(&self, previous: f64, t: f64) -> f64 {
        match self.waveform {
            Waveform::Sine => self.base + self.amplitude * (t * std::f64::consts::TAU / 20.0).sin(),
            Waveform::RandomWalk => previous + self.amplitude * (js_sys::Math::random() * 2.0 - 1.0),
            Waveform::Constant => self.base,
        }
    }
}
