//! Numeric series at a fixed time resolution: points that fall in the same `BUCKET_MS` of time
//! are merged into one bucket (minimum, maximum, last, count), so a window of minutes holds at
//! 1,000 messages a second as it does at one, and the drawn envelope still shows every extreme.

use std::collections::VecDeque;

/// The time resolution of every series.
pub const BUCKET_MS: f64 = 50.0;
/// Buckets each series keeps: 10 minutes at the finest resolution, longer when data is sparse.
pub const BUCKETS: usize = 12_000;
/// The shortest silence that breaks a line, whatever the series' usual pace.
pub const MIN_GAP_MS: f64 = 2_000.0;

const PALETTE: [&str; 8] = ["#2f7de1", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0b7285", "#e67700", "#5c940d"];

/// The points of one slice of time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// The first point's time (epoch ms).
    pub first_t: f64,
    /// The last point's time.
    pub last_t: f64,
    pub min: f64,
    pub max: f64,
    pub last: f64,
    pub count: u32,
}

/// One named series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: String,
    /// Drawn, or hidden from the legend.
    pub visible: bool,
    buckets: VecDeque<Bucket>,
}

impl Series {
    fn new(name: &str, color: &str) -> Self {
        Self { name: name.to_owned(), color: color.to_owned(), visible: true, buckets: VecDeque::new() }
    }

    /// Adds a point. One older than the last bucket (a record's own timestamp) joins that bucket:
    /// the series stays in time order.
    pub fn push(&mut self, t: f64, v: f64) {
        let slot = |t: f64| (t / BUCKET_MS).floor();
        match self.buckets.back_mut() {
            Some(b) if slot(t) <= slot(b.first_t) => {
                b.last_t = b.last_t.max(t);
                b.min = b.min.min(v);
                b.max = b.max.max(v);
                b.last = v;
                b.count += 1;
            }
            _ => {
                if self.buckets.len() == BUCKETS {
                    self.buckets.pop_front();
                }
                self.buckets.push_back(Bucket { first_t: t, last_t: t, min: v, max: v, last: v, count: 1 });
            }
        }
    }

    /// The buckets from `t0` on, oldest first.
    pub fn since(&self, t0: f64) -> impl Iterator<Item = &Bucket> {
        let start = self.buckets.partition_point(|b| b.last_t < t0);
        self.buckets.range(start..)
    }

    /// Points counted from `t0` on.
    pub fn points_since(&self, t0: f64) -> u64 {
        self.since(t0).map(|b| u64::from(b.count)).sum()
    }

    /// The lowest and highest value from `t0` on.
    pub fn range_since(&self, t0: f64) -> Option<(f64, f64)> {
        self.since(t0).fold(None, |r, b| match r {
            None => Some((b.min, b.max)),
            Some((lo, hi)) => Some((lo.min(b.min), hi.max(b.max))),
        })
    }

    /// The first point's time, if any.
    pub fn first_t(&self) -> Option<f64> {
        self.buckets.front().map(|b| b.first_t)
    }

    /// The runs of buckets from `t0` on to draw as one line each: a silence longer than the
    /// series' own pace (four times the median step between buckets, at least `MIN_GAP_MS`)
    /// breaks the line, so an outage is not bridged.
    pub fn segments_since(&self, t0: f64) -> Vec<Vec<Bucket>> {
        let buckets: Vec<Bucket> = self.since(t0).copied().collect();
        let gap = gap_ms(&buckets);
        let mut runs: Vec<Vec<Bucket>> = Vec::new();
        for b in buckets {
            match runs.last_mut() {
                Some(run) if run.last().is_some_and(|p| b.first_t - p.last_t <= gap) => run.push(b),
                _ => runs.push(vec![b]),
            }
        }
        runs
    }
}

/// The silence that breaks a line for these buckets.
fn gap_ms(buckets: &[Bucket]) -> f64 {
    let mut steps: Vec<f64> = buckets.windows(2).map(|w| w[1].first_t - w[0].last_t).collect();
    if steps.is_empty() {
        return MIN_GAP_MS;
    }
    let mid = steps.len() / 2;
    let (_, median, _) = steps.select_nth_unstable_by(mid, f64::total_cmp);
    (*median * 4.0).max(MIN_GAP_MS)
}

/// The series a chart shows, up to `max_series` of them.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSet {
    pub series: Vec<Series>,
    max_series: usize,
    /// Bumped on every change, so a chart knows to redraw.
    pub version: u64,
}

impl SeriesSet {
    pub fn new(max_series: usize) -> Self {
        Self { series: Vec::new(), max_series, version: 0 }
    }

    /// Adds a point; a new name gets the next palette colour (beyond `max_series` it is dropped).
    pub fn push(&mut self, name: &str, t_ms: f64, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.version += 1;
        if let Some(s) = self.series.iter_mut().find(|s| s.name == name) {
            s.push(t_ms, value);
            return;
        }
        if self.series.len() >= self.max_series {
            return;
        }
        let mut s = Series::new(name, PALETTE[self.series.len() % PALETTE.len()]);
        s.push(t_ms, value);
        self.series.push(s);
    }

    /// Shows or hides a series (the legend's toggle).
    pub fn toggle(&mut self, name: &str) {
        if let Some(s) = self.series.iter_mut().find(|s| s.name == name) {
            s.visible = !s.visible;
            self.version += 1;
        }
    }

    pub fn clear(&mut self) {
        self.series.clear();
        self.version += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_series_keeps_its_whole_window_and_every_extreme() {
        let mut s = Series::new("v", "#000");
        // 1,000 points a second for 60 s: a spike of 100 among zeros at every 1,000th point.
        for i in 0..60_000u32 {
            let v = if i % 1_000 == 500 { 100.0 } else { 0.0 };
            s.push(f64::from(i), v);
        }
        assert_eq!(s.since(0.0).count(), 1_200, "60 s in 50 ms buckets");
        assert_eq!(s.points_since(0.0), 60_000);
        assert_eq!(s.since(0.0).filter(|b| b.max == 100.0).count(), 60, "no spike is lost");
        assert_eq!(s.range_since(30_000.0), Some((0.0, 100.0)));
        assert_eq!(s.first_t(), Some(0.0));
    }

    #[test]
    fn the_oldest_buckets_go_first_when_the_series_is_full() {
        let mut s = Series::new("v", "#000");
        for i in 0..(BUCKETS as u32 + 10) {
            s.push(f64::from(i) * 1_000.0, 1.0);
        }
        assert_eq!(s.since(0.0).count(), BUCKETS);
        assert_eq!(s.first_t(), Some(10_000.0));
    }

    #[test]
    fn a_silence_longer_than_the_pace_breaks_the_line() {
        let mut s = Series::new("v", "#000");
        for t in [0, 1_000, 2_000, 3_000, 10_000, 11_000, 12_000] {
            s.push(f64::from(t), 1.0);
        }
        let runs: Vec<Vec<f64>> = s.segments_since(0.0).iter().map(|r| r.iter().map(|b| b.first_t).collect()).collect();
        assert_eq!(runs, [vec![0.0, 1_000.0, 2_000.0, 3_000.0], vec![10_000.0, 11_000.0, 12_000.0]]);
        // A slow series (one point per 10 s) is one line: its pace sets the gap.
        let mut slow = Series::new("v", "#000");
        for t in 0..6 {
            slow.push(f64::from(t) * 10_000.0, 1.0);
        }
        assert_eq!(slow.segments_since(0.0).len(), 1);
    }

    #[test]
    fn an_older_point_joins_the_last_bucket() {
        let mut s = Series::new("v", "#000");
        s.push(1_000.0, 1.0);
        s.push(500.0, 3.0);
        let b: Vec<&Bucket> = s.since(0.0).collect();
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].min, b[0].max, b[0].last, b[0].count), (1.0, 3.0, 3.0, 2));
    }

    #[test]
    fn a_set_names_colours_caps_and_toggles_its_series() {
        let mut set = SeriesSet::new(2);
        set.push("a", 0.0, 1.0);
        set.push("b", 0.0, f64::NAN);
        set.push("b", 0.0, 2.0);
        set.push("c", 0.0, 3.0);
        let names: Vec<(&str, &str)> = set.series.iter().map(|s| (s.name.as_str(), s.color.as_str())).collect();
        assert_eq!(names, [("a", "#2f7de1"), ("b", "#e8590c")]);
        set.toggle("a");
        assert!(!set.series[0].visible);
        assert_eq!(set.version, 4);
    }
}
