//! A local stand-in for api.deezer.com and its preview CDN: serves the recorded
//! responses in tests/fixtures/deezer and injects faults on demand.
//!
//! - API paths map to fixture files (`/album/302127/tracks` -> `album/302127/tracks.json`,
//!   `/search/artist?q=Daft Punk` -> `search/artist__q=Daft_Punk.json`); `limit` is applied
//!   here; a missing fixture is Deezer's "no data" error (an empty page for searches).
//! - Preview URLs in the answers point at `/cdn/...` on this server, which serves 100 000
//!   deterministic bytes with byte ranges, refusing (403) a signed URL past its expiry.

use std::{
    collections::VecDeque,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use poem::{
    Body, EndpointExt, IntoResponse, Request, Response, Route, Server, handler,
    http::{StatusCode, header},
    listener::{Acceptor, Listener, TcpListener},
    web::Data,
};
use serde_json::Value;

/// Size of every fake preview file.
pub const AUDIO_LEN: usize = 100_000;

/// The byte at `offset` of every fake preview.
pub fn audio_byte(offset: usize) -> u8 {
    (offset % 251) as u8
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this HTTP status and a plain-text body.
    Status(u16),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer HTTP 200 with Deezer's error object with this code.
    DeezerError(i64),
    /// Answer HTTP 200 with a truncated JSON body.
    Malformed,
    /// Answer HTTP 200 with this JSON instead of the recording.
    Body(Value),
}

struct Planned {
    /// `track/3135556`, or `cdn` for any preview request.
    path: String,
    fault: Fault,
    times: usize,
}

#[derive(Default)]
struct State {
    base: String,
    /// Each request as (`path` or `cdn`, `path?query`).
    requests: Mutex<Vec<(String, String)>>,
    planned: Mutex<Vec<Planned>>,
    /// Expiry times for signed preview URLs, one per track answer; the last one stays.
    signatures: Mutex<VecDeque<u64>>,
}

pub struct FakeDeezer {
    pub base: String,
    state: Arc<State>,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deezer")
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl FakeDeezer {
    pub async fn start() -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("fake Deezer binds");
        let port = acceptor.local_addr()[0]
            .as_socket_addr()
            .expect("a TCP address")
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let state = Arc::new(State {
            base: base.clone(),
            ..State::default()
        });
        let app = Route::new().at("/*path", serve).data(state.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        Self { base, state }
    }

    /// The next `times` requests for `path` (e.g. `track/3135556`, or `cdn`) fail so.
    pub fn fail(&self, path: &str, fault: Fault, times: usize) {
        self.state.planned.lock().unwrap().push(Planned {
            path: path.to_owned(),
            fault,
            times,
        });
    }

    /// Every request for `path` fails so from now on.
    pub fn fail_always(&self, path: &str, fault: Fault) {
        self.fail(path, fault, usize::MAX);
    }

    /// Track answers carry signed preview URLs expiring at these Unix times in turn
    /// (the last one for every later answer).
    pub fn sign_previews(&self, expiries: &[u64]) {
        *self.state.signatures.lock().unwrap() = expiries.iter().copied().collect();
    }

    /// How many requests reached `path` (query strings ignored; `cdn` for previews).
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(key, _)| key == path)
            .count()
    }

    /// Every request so far, in order, as `path?query`.
    pub fn log(&self) -> Vec<String> {
        let requests = self.state.requests.lock().unwrap();
        requests.iter().map(|(_, full)| full.clone()).collect()
    }
}

/// A base URL where nothing listens: connections are refused.
pub async fn refused_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

impl State {
    fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut planned = self.planned.lock().unwrap();
        let plan = planned.iter_mut().find(|p| p.path == path && p.times > 0)?;
        plan.times = plan.times.saturating_sub(1);
        Some(plan.fault.clone())
    }

    fn next_signature(&self) -> Option<u64> {
        let mut signatures = self.signatures.lock().unwrap();
        if signatures.len() > 1 {
            signatures.pop_front()
        } else {
            signatures.front().copied()
        }
    }
}

#[handler]
async fn serve(req: &Request, Data(state): Data<&Arc<State>>) -> Response {
    let path = req.uri().path().trim_matches('/').to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let key = if path.starts_with("cdn/") {
        "cdn".to_owned()
    } else {
        path.clone()
    };
    state
        .requests
        .lock()
        .unwrap()
        .push((key.clone(), format!("{path}?{query}")));
    match state.take_fault(&key) {
        Some(Fault::Status(code)) => {
            return StatusCode::from_u16(code)
                .unwrap()
                .with_body("injected failure")
                .into_response();
        }
        Some(Fault::DeezerError(code)) => {
            let body = serde_json::json!({"error": {"type": "Exception", "message": "injected", "code": code}});
            return json(body.to_string());
        }
        Some(Fault::Malformed) => return json("{\"data\": [{\"id\": 1,".to_owned()),
        Some(Fault::Body(value)) => return json(value.to_string()),
        Some(Fault::Delay(pause)) => tokio::time::sleep(pause).await,
        None => {}
    }
    if key == "cdn" {
        return preview(req, &query);
    }
    api(state, &path, &query)
}

fn json(body: String) -> Response {
    Response::builder()
        .content_type("application/json; charset=utf-8")
        .body(body)
}

fn query_value(query: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://fake/?{query}")).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn fixture(path: &str, q: Option<&str>) -> Option<String> {
    let root = fixtures();
    match q {
        None => std::fs::read_to_string(root.join(format!("{path}.json"))).ok(),
        Some(q) => {
            let (dir, name) = match path.rsplit_once('/') {
                Some((dir, name)) => (root.join(dir), name),
                None => (root.clone(), path),
            };
            let wanted = format!("{name}__q={}.json", q.replace(' ', "_")).to_lowercase();
            std::fs::read_dir(dir)
                .ok()?
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().to_lowercase() == wanted)
                .and_then(|e| std::fs::read_to_string(e.path()).ok())
        }
    }
}

fn api(state: &State, path: &str, query: &str) -> Response {
    let q = query_value(query, "q");
    let Some(text) = fixture(path, q.as_deref()) else {
        let body = if path.starts_with("search") {
            serde_json::json!({"data": [], "total": 0})
        } else {
            serde_json::json!({"error": {"type": "DataException", "message": "no data", "code": 800}})
        };
        return json(body.to_string());
    };
    let mut value: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let limit = query_value(query, "limit").and_then(|l| l.parse::<usize>().ok());
    if let (Some(limit), Some(data)) = (limit, value.get_mut("data").and_then(Value::as_array_mut))
    {
        data.truncate(limit);
    }
    let mut text = value.to_string().replace(
        "https://cdns-preview-",
        &format!("{}/cdn/cdns-preview-", state.base),
    );
    if path.starts_with("track/")
        && let Some(exp) = state.next_signature()
    {
        text = text.replace(
            ".mp3\"",
            &format!(".mp3?hdnea=exp={exp}~acl=/*~hmac=fake\""),
        );
    }
    json(text)
}

fn preview(req: &Request, query: &str) -> Response {
    let expiry = query_value(query, "hdnea").and_then(|token| {
        token
            .split('~')
            .find_map(|p| p.strip_prefix("exp=").and_then(|e| e.parse::<u64>().ok()))
    });
    if expiry.is_some_and(|exp| exp <= unix_now()) {
        return StatusCode::FORBIDDEN.with_body("expired").into_response();
    }
    let audio: Vec<u8> = (0..AUDIO_LEN).map(audio_byte).collect();
    let range = req
        .header(header::RANGE)
        .and_then(|h| h.strip_prefix("bytes="))
        .and_then(|spec| spec.split_once('-'))
        .map(|(start, end)| {
            let start: usize = start.parse().unwrap_or(0);
            let end: usize = end.parse().unwrap_or(AUDIO_LEN - 1).min(AUDIO_LEN - 1);
            (start, end)
        });
    match range {
        None => Response::builder()
            .content_type("audio/mpeg")
            .header(header::ACCEPT_RANGES, "bytes")
            .body(Body::from(audio)),
        Some((start, _)) if start >= AUDIO_LEN => Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{AUDIO_LEN}"))
            .finish(),
        Some((start, end)) => Response::builder()
            .status(StatusCode::PARTIAL_CONTENT)
            .content_type("audio/mpeg")
            .header(header::ACCEPT_RANGES, "bytes")
            .header(
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{AUDIO_LEN}"),
            )
            .body(Body::from(audio[start..=end].to_vec())),
    }
}
