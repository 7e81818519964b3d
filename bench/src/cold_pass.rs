//! The first command of each load user in a write case, sent before wrk measures the rest:
//! the server keeps each aggregate a command leaves, so its first command on an aggregate
//! loads it from the database and the later ones do not. Both are reported: this pass is
//! what a restarted server costs, wrk's run what a running one does.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use crate::wrk::Line;

pub struct ColdPass {
    pub requests: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers outside 2xx, and requests that got no answer.
    pub failed: usize,
}

impl ColdPass {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// Sends every line once, `connections` at a time.
pub async fn run(
    base_url: &str,
    tokens: &[String],
    lines: &[Line],
    connections: usize,
) -> crate::Result<ColdPass> {
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let times = Arc::new(Mutex::new(Vec::with_capacity(lines.len())));
    let failed = Arc::new(AtomicUsize::new(0));
    let lines: Arc<[Line]> = lines.into();
    let tokens: Arc<[String]> = tokens.into();
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (http, next, times, failed) =
                (http.clone(), next.clone(), times.clone(), failed.clone());
            let (lines, tokens, base_url) = (lines.clone(), tokens.clone(), base_url.to_owned());
            tokio::spawn(async move {
                while let Some(line) = lines.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let method = line.method.parse().expect("an HTTP method");
                    let sent = Instant::now();
                    let answer = http
                        .request(method, format!("{base_url}{}", line.path))
                        .bearer_auth(&tokens[line.token])
                        .header("content-type", "application/json")
                        .body(line.body.clone())
                        .send()
                        .await;
                    let ok = match answer {
                        Ok(answer) => {
                            let status = answer.status();
                            answer.bytes().await.is_ok() && status.is_success()
                        }
                        Err(_) => false,
                    };
                    times.lock().expect("times").push(sent.elapsed());
                    if !ok {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed();
    let mut times = std::mem::take(&mut *times.lock().expect("times"));
    times.sort();
    Ok(ColdPass {
        requests: times.len(),
        elapsed,
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        failed: failed.load(Ordering::Relaxed),
    })
}

/// The `q` quantile of sorted times (zero for none).
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    sorted
        .get((last as f64 * q).round() as usize)
        .copied()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_sorted_times() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&times, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&times, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&times, 1.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 0.99), Duration::ZERO);
    }
}
