//! Figures shared by the gateways that record request latencies and the api
//! that merges them: fixed latency bucket bounds (so histograms from many
//! instances add up bucket by bucket), the p95 of a merged histogram, and
//! the step of a time window.

/// Upper bounds (inclusive) of the latency buckets in milliseconds; a last,
/// unbounded bucket follows. Never reorder: stored histograms use these indices.
pub const LATENCY_BOUNDS_MS: [f64; 14] =
    [1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0];
/// Number of buckets, the unbounded one included.
pub const BUCKETS: usize = LATENCY_BOUNDS_MS.len() + 1;

/// Shortest step of a series, and most points a window may have.
pub const MIN_STEP_SECONDS: u32 = 60;
pub const MAX_POINTS: u32 = 360;

/// The bucket a latency falls into.
pub fn bucket_of(latency_ms: f64) -> usize {
    LATENCY_BOUNDS_MS.iter().position(|&b| latency_ms <= b).unwrap_or(LATENCY_BOUNDS_MS.len())
}

/// Adds `other` to `into` bucket by bucket (`into` grows to the longer length).
pub fn merge(into: &mut Vec<u64>, other: &[u64]) {
    if into.len() < other.len() {
        into.resize(other.len(), 0);
    }
    for (a, b) in into.iter_mut().zip(other) {
        *a = a.saturating_add(*b);
    }
}

/// The 95th percentile of a histogram over [`LATENCY_BOUNDS_MS`], in ms;
/// `None` when it is empty.
///
/// The rank falls into one bucket; the value is interpolated linearly
/// between that bucket's lower and upper bound (as if its requests were
/// spread evenly), so it is an estimate with the bucket's resolution. A rank
/// in the unbounded last bucket reports that bucket's lower bound.
pub fn p95(buckets: &[u64]) -> Option<f64> {
    quantile(buckets, 0.95)
}

pub fn quantile(buckets: &[u64], q: f64) -> Option<f64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut below = 0u64;
    for (i, &n) in buckets.iter().enumerate() {
        if n == 0 {
            continue;
        }
        if (below + n) as f64 >= rank {
            let lower = if i == 0 { 0.0 } else { LATENCY_BOUNDS_MS[(i - 1).min(LATENCY_BOUNDS_MS.len() - 1)] };
            let Some(&upper) = LATENCY_BOUNDS_MS.get(i) else { return Some(lower) };
            let fraction = ((rank - below as f64) / n as f64).clamp(0.0, 1.0);
            return Some(lower + (upper - lower) * fraction);
        }
        below += n;
    }
    LATENCY_BOUNDS_MS.last().copied()
}

/// The step of a window: at most [`MAX_POINTS`] points, a whole number of
/// minutes, at least one minute.
pub fn step_for(window_seconds: u32) -> u32 {
    let raw = window_seconds.div_ceil(MAX_POINTS);
    raw.div_ceil(MIN_STEP_SECONDS).max(1) * MIN_STEP_SECONDS
}

/// The start of the step holding `epoch_seconds`.
pub fn step_start(epoch_seconds: i64, step_seconds: u32) -> i64 {
    epoch_seconds.div_euclid(i64::from(step_seconds)) * i64::from(step_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_fall_into_their_bucket() {
        assert_eq!(bucket_of(0.2), 0);
        assert_eq!(bucket_of(1.0), 0);
        assert_eq!(bucket_of(1.01), 1);
        assert_eq!(bucket_of(41.0), 5);
        assert_eq!(bucket_of(30000.0), 13);
        assert_eq!(bucket_of(90000.0), 14);
        assert_eq!(BUCKETS, 15);
    }

    #[test]
    fn p95_of_an_empty_histogram_is_none() {
        assert_eq!(p95(&[]), None);
        assert_eq!(p95(&[0; BUCKETS]), None);
    }

    #[test]
    fn p95_interpolates_within_the_bucket() {
        // 100 requests, all within (25, 50] ms: rank 95 sits 95 % into the bucket.
        let mut h = vec![0; BUCKETS];
        h[5] = 100;
        let v = p95(&h).unwrap();
        assert!((v - (25.0 + 25.0 * 0.95)).abs() < 1e-9, "{v}");
        // 90 fast ones and 10 slow ones: the 95th lands halfway into the slow bucket.
        let mut h = vec![0; BUCKETS];
        h[0] = 90;
        h[8] = 10; // (250, 500]
        let v = p95(&h).unwrap();
        assert!((v - 375.0).abs() < 1e-9, "{v}");
        // Beyond the last bound: the last bound.
        let mut h = vec![0; BUCKETS];
        h[14] = 3;
        assert_eq!(p95(&h), Some(30000.0));
    }

    #[test]
    fn merged_histograms_give_the_p95_of_all_requests() {
        // Instance A saw only fast requests, instance B only slow ones: the
        // merged p95 is B's bucket, which neither p95 alone could give by averaging.
        let mut a = vec![0; BUCKETS];
        a[0] = 80;
        let mut b = vec![0; BUCKETS];
        b[9] = 20; // (500, 1000]
        let mut merged = Vec::new();
        merge(&mut merged, &a);
        merge(&mut merged, &b);
        assert_eq!(merged.iter().sum::<u64>(), 100);
        let v = p95(&merged).unwrap();
        assert!((v - 875.0).abs() < 1e-9, "{v}");
        assert!(p95(&a).unwrap() <= 1.0);
    }

    #[test]
    fn a_window_has_at_most_360_whole_minute_steps() {
        assert_eq!(step_for(300), 60);
        assert_eq!(step_for(3600), 60);
        assert_eq!(step_for(21600), 60);
        assert_eq!(step_for(21601), 120);
        assert_eq!(step_for(86400), 240);
        assert_eq!(step_for(604800), 1680);
        for w in [300, 3599, 3600, 7200, 50000, 86400, 604800] {
            let s = step_for(w);
            assert_eq!(s % 60, 0);
            assert!(w.div_ceil(s) <= MAX_POINTS, "{w} / {s}");
        }
        assert_eq!(step_start(125, 60), 120);
        assert_eq!(step_start(-1, 60), -60);
    }
}
