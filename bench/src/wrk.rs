//! Load through wrk: a Lua script replays prepared request lines and prints its summary
//! as one JSON line, which is parsed here.

use std::{fmt::Write as _, path::Path};

use serde::Deserialize;

/// wrk's threads; each replays its own file of lines, so that the lines of one user (or
/// one playlist's add/remove cycle) keep their order.
pub const THREADS: usize = 2;

#[derive(Debug, Clone)]
pub struct Load {
    pub connections: usize,
    pub seconds: u64,
}

/// One request: `token` indexes the tokens file; an empty body sends none.
pub struct Line {
    pub method: &'static str,
    pub path: String,
    pub token: usize,
    pub body: String,
}

impl Line {
    pub fn new(method: &'static str, path: String, token: usize) -> Self {
        let body = String::new();
        Self {
            method,
            path,
            token,
            body,
        }
    }

    pub fn with_body(mut self, body: String) -> Self {
        self.body = body;
        self
    }
}

/// wrk's own counts; `status` is every answer of 400 or more (wrk's rule).
#[derive(Debug, Clone, Deserialize)]
pub struct Outcome {
    pub requests: u64,
    pub duration_us: u64,
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    pub status: u64,
    pub timeout: u64,
    pub p50_us: f64,
    pub p99_us: f64,
}

impl Outcome {
    pub fn errors(&self) -> u64 {
        self.connect + self.read + self.write + self.status + self.timeout
    }

    pub fn per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }
}

const SCRIPT: &str = r#"-- Written by playpod-bench: replays request lines (method, path, token, body).
local threads, counter = {}, 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local prepared, next_line = {}, 0

function init(args)
  local tokens = {}
  for token in io.lines(args[1]) do tokens[#tokens + 1] = token end
  for line in io.lines(args[2] .. "." .. id) do
    local method, path, token, body = line:match("^(%S+)\t(%S+)\t(%d+)\t(.*)$")
    local headers = {
      Authorization = "Bearer " .. tokens[tonumber(token) + 1],
      ["Content-Type"] = "application/json",
    }
    if body == "" then body = nil end
    prepared[#prepared + 1] = wrk.format(method, path, headers, body)
  end
end

function request()
  next_line = next_line % #prepared + 1
  return prepared[next_line]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%f,"p99_us":%f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"#;

/// The case's file names: its name without spaces.
fn file_name(name: &str) -> String {
    name.replace(' ', "-")
}

/// Writes the script, the tokens and one file of lines per thread under `dir`.
pub fn prepare(
    dir: &Path,
    name: &str,
    tokens: &[String],
    lines: &[Vec<Line>],
) -> crate::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("replay.lua"), SCRIPT)?;
    std::fs::write(dir.join("tokens"), tokens.join("\n") + "\n")?;
    for (thread, lines) in lines.iter().enumerate() {
        let mut text = String::new();
        for l in lines {
            writeln!(text, "{}\t{}\t{}\t{}", l.method, l.path, l.token, l.body)?;
        }
        std::fs::write(dir.join(format!("{}.{thread}", file_name(name))), text)?;
    }
    Ok(())
}

pub async fn run(dir: &Path, name: &str, load: &Load, base_url: &str) -> crate::Result<Outcome> {
    let output = tokio::process::Command::new("wrk")
        .arg(format!("-t{THREADS}"))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.seconds))
        .arg("--latency")
        .arg("-s")
        .arg(dir.join("replay.lua"))
        .arg(base_url)
        .arg("--")
        .arg(dir.join("tokens"))
        .arg(dir.join(file_name(name)))
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("wrk failed for {name}: {stdout}{stderr}").into());
    }
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("{\"requests\""))
        .ok_or_else(|| format!("wrk printed no summary for {name}: {stdout}"))?;
    Ok(serde_json::from_str(summary)?)
}
