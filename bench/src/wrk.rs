//! Load through wrk: a Lua script replays prepared request lines and prints its summary
//! as one JSON line, which is parsed here.

use std::{collections::BTreeMap, fmt::Write as _, path::Path};

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
#[derive(Clone)]
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

/// wrk's counts, with the answers outside 2xx by status: wrk itself only counts those of
/// 400 or more, all together.
#[derive(Debug, Clone, Deserialize)]
pub struct Outcome {
    /// Answers received, whatever their status.
    pub requests: u64,
    pub duration_us: u64,
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    /// Answers slower than wrk's 2 s timeout (left out of its latencies).
    pub timeout: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Answers outside 2xx, by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Status and start of the body of each thread's first few answers outside 2xx.
    pub failures: Vec<String>,
}

impl Outcome {
    fn refused(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// Answers in 2xx.
    pub fn succeeded(&self) -> u64 {
        self.requests - self.refused()
    }

    pub fn errors(&self) -> u64 {
        self.refused() + self.connect + self.read + self.write + self.timeout
    }

    /// `0`, or the errors and what they were: `3 (409×2, 1 read)`.
    pub fn errors_by_kind(&self) -> String {
        if self.errors() == 0 {
            return "0".into();
        }
        let statuses = self.statuses.iter().map(|(s, n)| format!("{s}×{n}"));
        let socket = [
            ("connect", self.connect),
            ("read", self.read),
            ("write", self.write),
            ("timeout", self.timeout),
        ]
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .map(|(kind, n)| format!("{n} {kind}"));
        let kinds: Vec<String> = statuses.chain(socket).collect();
        format!("{} ({})", self.errors(), kinds.join(", "))
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

local prepared, next_line, checking = {}, 0, false

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
  -- wrk takes one request from its first thread to check it and never sends that one:
  -- were it a line, the thread would skip it (an add whose remove then answers 404).
  checking = id == 0
end

function request()
  if checking then
    checking = false
    return prepared[1]
  end
  next_line = next_line % #prepared + 1
  return prepared[next_line]
end

-- Globals, not locals: `done` reads each thread's with thread:get.
statuses, failures = {}, {}

function response(status, headers, body)
  if status < 200 or status > 299 then
    statuses[status] = (statuses[status] or 0) + 1
    if #failures < 3 then failures[#failures + 1] = status .. " " .. body:sub(1, 300) end
  end
end

-- A cut multi-byte character is no harm: the driver reads wrk's output lossily.
local function json_string(s)
  local escaped = s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
  return '"' .. escaped .. '"'
end

function done(summary, latency, requests)
  local counts, failed = {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
    for _, failure in ipairs(thread:get("failures")) do failed[#failed + 1] = json_string(failure) end
  end
  local by_status = {}
  for status, n in pairs(counts) do by_status[#by_status + 1] = string.format('"%d":%d', status, n) end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%f,"p99_us":%f,"statuses":{%s},"failures":[%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99),
    table.concat(by_status, ","), table.concat(failed, ",")))
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
    parse(&stdout).map_err(|err| format!("wrk's summary for {name}: {err}: {stdout}").into())
}

/// Finds the line the script's `done` writes among wrk's own output.
fn parse(stdout: &str) -> crate::Result<Outcome> {
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("{\"requests\""))
        .ok_or("no summary line")?;
    Ok(serde_json::from_str(summary)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_summary_among_wrks_output() {
        let stdout = concat!(
            "Running 15s test @ http://127.0.0.1:8000\n",
            "  2 threads and 64 connections\n",
            "  Non-2xx or 3xx responses: 3\n",
            r#"{"requests":900,"duration_us":15000000,"connect":0,"read":1,"write":0,"timeout":0,"#,
            r#""p50_us":1104.5,"p99_us":1555.0,"statuses":{"409":2,"404":1},"#,
            r#""failures":["409 {\u0022code\u0022:\u0022conflict\u0022}\u000a","404 gone"]}"#,
            "\n",
        );
        let outcome = parse(stdout).unwrap();
        assert_eq!(outcome.statuses, BTreeMap::from([(404, 1), (409, 2)]));
        assert_eq!(outcome.failures[0], "409 {\"code\":\"conflict\"}\n");
        assert_eq!(outcome.succeeded(), 897);
        assert_eq!(outcome.errors(), 4);
        assert_eq!(outcome.errors_by_kind(), "4 (404×1, 409×2, 1 read)");
    }

    #[test]
    fn a_clean_run_has_no_errors() {
        let line = r#"{"requests":5,"duration_us":1,"connect":0,"read":0,"write":0,"timeout":0,"p50_us":1,"p99_us":2,"statuses":{},"failures":[]}"#;
        let outcome = parse(line).unwrap();
        assert_eq!(outcome.errors_by_kind(), "0");
        assert_eq!(outcome.succeeded(), 5);
    }

    #[test]
    fn output_without_a_summary_is_an_error() {
        assert!(parse("unable to connect to 127.0.0.1:8000 Connection refused\n").is_err());
    }
}
