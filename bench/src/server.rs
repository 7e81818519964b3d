//! The PlayPod server under test: started from the release binary on a free port, its
//! start-up timed to readiness, its memory read from /proc.

use std::{
    path::Path,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::{process::Child, task::JoinHandle};

pub struct Server {
    child: Child,
    pid: u32,
    pub base_url: String,
    /// Spawn until `/health/ready` answered 200.
    pub startup: Duration,
    /// VmRSS right after start-up, kB.
    pub idle_rss_kb: u64,
}

impl Server {
    pub async fn start(binary: &Path, database_url: &str, secret_key: &str) -> crate::Result<Self> {
        // Taken and released at once: a race with another process is possible but rare.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let started = Instant::now();
        let mut child = tokio::process::Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("SECRET_KEY", secret_key)
            .env("PLAYPOD_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .env_remove("DEEZER_BASE_URL")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or("the server exited at once")?;
        let base_url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        loop {
            if let Some(status) = child.try_wait()? {
                return Err(format!("the server exited during start-up: {status}").into());
            }
            let ready = client.get(format!("{base_url}/health/ready")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            if started.elapsed() > Duration::from_secs(300) {
                return Err("the server was not ready within 300 s".into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let startup = started.elapsed();
        Ok(Self {
            idle_rss_kb: status_kb(pid, "VmRSS").unwrap_or(0),
            child,
            pid,
            base_url,
            startup,
        })
    }

    /// The highest VmRSS seen every 100 ms until the sampler is stopped.
    pub fn sample_rss(&self) -> RssSampler {
        let max = Arc::new(AtomicU64::new(0));
        let (pid, seen) = (self.pid, max.clone());
        let task = tokio::spawn(async move {
            loop {
                if let Some(kb) = status_kb(pid, "VmRSS") {
                    seen.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        RssSampler { max, task }
    }

    /// The peak resident set of the whole run (VmHWM), kB.
    pub fn peak_rss_kb(&self) -> u64 {
        status_kb(self.pid, "VmHWM").unwrap_or(0)
    }

    /// SIGTERM: the server drains its requests and exits by itself.
    pub async fn stop(mut self) -> crate::Result<()> {
        std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()?;
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => match status? {
                s if s.success() => Ok(()),
                s => Err(format!("the server exited with {s}").into()),
            },
            Err(_) => {
                self.child.kill().await?;
                Err("the server did not stop within 30 s of SIGTERM".into())
            }
        }
    }
}

pub struct RssSampler {
    max: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl RssSampler {
    pub fn stop(self) -> u64 {
        self.task.abort();
        self.max.load(Ordering::Relaxed)
    }
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
