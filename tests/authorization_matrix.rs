//! The authorization matrix: every operation of the served OpenAPI document, called as
//! each kind of caller, must answer the status this table documents (README,
//! "Reliability"). The operations are taken from the document itself, so an endpoint
//! added without a row here fails the test, and so does a row for an endpoint that is gone.
//!
//! `cargo test --test authorization_matrix -- --nocapture` prints the table as Markdown.

mod common;

use std::collections::BTreeSet;

use common::{TestApp, User, spawn_app};
use reqwest::{Method, multipart};
use serde_json::{Value, json};

/// The callers, in the order of the `expect` columns.
const CALLERS: [&str; 5] = ["anonymous", "owner", "other user", "auditor", "analyst"];
const OWNER: usize = 1;
const AUDITOR: usize = 3;

/// Everyone authenticated gets the answer; anonymous callers get 401.
const SIGNED_IN: [u16; 5] = [401, 200, 200, 200, 200];
const PUBLIC: [u16; 5] = [200; 5];
/// The owner's private playlist: invisible (404) to anyone else, auditors included.
const PRIVATE_OWNER_ONLY: [u16; 5] = [401, 200, 404, 404, 404];
/// The owner's public playlist: visible to all, changed only by its owner.
const PUBLIC_OWNER_ONLY: [u16; 5] = [401, 200, 403, 403, 403];

enum Body {
    None,
    /// A JSON template; see `fill` for its placeholders.
    Json(&'static str),
    /// A multipart form with a small PNG in this field.
    Image(&'static str),
}

struct Row {
    method: &'static str,
    /// The operation's path as the OpenAPI document spells it.
    operation: &'static str,
    /// The request's path (and query), a template as for `Body::Json`.
    request: String,
    body: Body,
    /// The status for each of `CALLERS`.
    expect: [u16; 5],
}

fn row(
    method: &'static str,
    operation: &'static str,
    request: impl Into<String>,
    body: Body,
    expect: [u16; 5],
) -> Row {
    Row {
        method,
        operation,
        request: request.into(),
        body,
        expect,
    }
}

/// Rows run in this order, each caller in turn and the owner last (so that a row which
/// deletes or clears something leaves it in place for the other callers). Rows on a
/// playlist (`{private}`, `{public}`) get a fresh one with two tracks each. The queue
/// rows rely on every caller having a queue that plays (set up before the table) and
/// end with `clear`; favorites are added before they are removed.
fn table() -> Vec<Row> {
    use Body::{Image, Json, None};
    let accounts = [
        row(
            "POST",
            "/api/accounts/register",
            "/api/accounts/register/",
            Json(
                r#"{"username": "matrix{n}", "email": "matrix{n}@example.com", "password": "matrix-password-{n}"}"#,
            ),
            [201; 5],
        ),
        row(
            "POST",
            "/api/accounts/token",
            "/api/accounts/token/",
            Json(r#"{"email": "{email}", "password": "{password}"}"#),
            PUBLIC,
        ),
        row(
            "POST",
            "/api/accounts/token/refresh",
            "/api/accounts/token/refresh/",
            Json(r#"{"refresh": "{refresh}"}"#),
            PUBLIC,
        ),
        row(
            "GET",
            "/api/accounts/profile",
            "/api/accounts/profile/",
            None,
            SIGNED_IN,
        ),
        row(
            "PATCH",
            "/api/accounts/profile",
            "/api/accounts/profile/",
            Json(r#"{"bio": "matrix"}"#),
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/accounts/upload-avatar",
            "/api/accounts/upload-avatar/",
            Image("avatar"),
            SIGNED_IN,
        ),
        row("GET", "/health/live", "/health/live", None, PUBLIC),
        row("GET", "/health/ready", "/health/ready", None, PUBLIC),
    ];
    let catalog = [
        row(
            "GET",
            "/api/catalogue/search",
            "/api/catalogue/search/?q=a",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/catalogue/artists/{id}",
            "/api/catalogue/artists/{artist}/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/catalogue/albums/{id}",
            "/api/catalogue/albums/{album}/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/catalogue/tracks/{id}",
            "/api/catalogue/tracks/{track}/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/catalogue/genres",
            "/api/catalogue/genres/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/catalogue/stream/{id}",
            "/api/catalogue/stream/{track}/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/charts/genre/{genre_id}",
            "/api/charts/genre/{genre}/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/charts/top",
            "/api/charts/top/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/charts/new-releases",
            "/api/charts/new-releases/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/charts/top-albums",
            "/api/charts/top-albums/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/events",
            "/api/events/",
            None,
            [401, 403, 403, 403, 200],
        ),
    ];
    let queue = [
        row(
            "GET",
            "/api/playlists/queue",
            "/api/playlists/queue/",
            None,
            SIGNED_IN,
        ),
        row(
            "PATCH",
            "/api/playlists/queue",
            "/api/playlists/queue/",
            Json(r#"{"current_position": 0}"#),
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/playlists/queue/tracks",
            "/api/playlists/queue/tracks/",
            None,
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/queue/enqueue",
            "/api/playlists/queue/enqueue/",
            Json(r#"{"track_id": "{track}"}"#),
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/queue/next",
            "/api/playlists/queue/next/",
            None,
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/queue/previous",
            "/api/playlists/queue/previous/",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/playlists/queue/current",
            "/api/playlists/queue/current/",
            None,
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/queue/position",
            "/api/playlists/queue/position/",
            Json(r#"{"position": 0}"#),
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/queue/shuffle",
            "/api/playlists/queue/shuffle/",
            None,
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/queue/stream",
            "/api/playlists/queue/stream/",
            Json(r#"{"track_id": "{track}"}"#),
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/play-recommendation",
            "/api/playlists/play-recommendation/",
            Json(r#"{"track_id": "{track}"}"#),
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/playlists/recommendations",
            "/api/playlists/recommendations/?limit=5",
            None,
            SIGNED_IN,
        ),
        row(
            "GET",
            "/api/playlists/recommended",
            "/api/playlists/recommended/",
            None,
            SIGNED_IN,
        ),
        // A well-formed key of another day: every signed-in caller gets the same 404.
        row(
            "POST",
            "/api/playlists/recommended/{key}/save",
            "/api/playlists/recommended/daily-mood-0-20000101/save/",
            None,
            [401, 404, 404, 404, 404],
        ),
        row(
            "GET",
            "/api/playlists/queue/history",
            "/api/playlists/queue/history/",
            None,
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/queue/clear",
            "/api/playlists/queue/clear/",
            None,
            SIGNED_IN,
        ),
    ];
    let lists = [
        row(
            "GET",
            "/api/playlists/playlists",
            "/api/playlists/playlists/",
            None,
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/playlists",
            "/api/playlists/playlists/",
            Json(r#"{"name": "matrix {n}"}"#),
            [401, 201, 201, 201, 201],
        ),
        row(
            "POST",
            "/api/playlists/generate",
            "/api/playlists/generate/",
            Json(r#"{"genre": "any", "genre_id": {genre}}"#),
            [401, 201, 201, 201, 201],
        ),
        row(
            "GET",
            "/api/playlists/favorites",
            "/api/playlists/favorites/",
            None,
            SIGNED_IN,
        ),
        row(
            "POST",
            "/api/playlists/favorites/add",
            "/api/playlists/favorites/add/",
            Json(r#"{"track_id": "{track}"}"#),
            [401, 201, 201, 201, 201],
        ),
        row(
            "DELETE",
            "/api/playlists/favorites/remove",
            "/api/playlists/favorites/remove/?track_id={track}",
            None,
            SIGNED_IN,
        ),
    ];
    let mut rows: Vec<Row> = accounts
        .into_iter()
        .chain(catalog)
        .chain(queue)
        .chain(lists)
        .collect();
    for (playlist, changes, readers) in [
        ("{private}", PRIVATE_OWNER_ONLY, PRIVATE_OWNER_ONLY),
        ("{public}", PUBLIC_OWNER_ONLY, SIGNED_IN),
    ] {
        let at = |suffix: &str| format!("/api/playlists/playlists/{playlist}/{suffix}");
        let with = |status: u16, mut expect: [u16; 5]| {
            expect[OWNER] = status;
            expect
        };
        let auditors_too = |mut expect: [u16; 5]| {
            expect[AUDITOR] = 200;
            expect
        };
        rows.extend([
            row(
                "GET",
                "/api/playlists/playlists/{id}",
                at(""),
                None,
                readers,
            ),
            row(
                "PATCH",
                "/api/playlists/playlists/{id}",
                at(""),
                Json(r#"{"name": "renamed"}"#),
                changes,
            ),
            row(
                "POST",
                "/api/playlists/playlists/{id}/add_track",
                at("add_track/"),
                Json(r#"{"track_id": "{track3}"}"#),
                with(201, changes),
            ),
            row(
                "POST",
                "/api/playlists/playlists/{id}/add_tracks",
                at("add_tracks/"),
                Json(r#"{"tracks": ["{track3}"]}"#),
                changes,
            ),
            row(
                "DELETE",
                "/api/playlists/playlists/{id}/remove_track",
                at("remove_track/?track_id={track}"),
                None,
                changes,
            ),
            row(
                "POST",
                "/api/playlists/playlists/{id}/move_track",
                at("move_track/"),
                Json(r#"{"track_id": "{track}", "position": 1}"#),
                changes,
            ),
            row(
                "POST",
                "/api/playlists/playlists/{id}/upload-cover",
                at("upload-cover/"),
                Image("cover_image"),
                changes,
            ),
            row(
                "GET",
                "/api/playlists/playlists/{id}/history",
                at("history/"),
                None,
                auditors_too(changes),
            ),
            row(
                "POST",
                "/api/playlists/playlists/{id}/restore",
                at("restore/"),
                Json(r#"{"version": 1}"#),
                changes,
            ),
            row(
                "POST",
                "/api/playlists/playlists/{id}/play",
                at("play/"),
                Json("{}"),
                readers,
            ),
            row(
                "DELETE",
                "/api/playlists/playlists/{id}",
                at(""),
                None,
                with(204, changes),
            ),
        ]);
    }
    rows
}

/// Values for the placeholders of request templates.
struct Fixtures {
    tracks: Vec<String>,
    artist: String,
    album: String,
    genre: String,
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

async fn json_of(resp: reqwest::Response) -> Value {
    assert!(
        resp.status().is_success(),
        "set-up request: {}",
        resp.status()
    );
    resp.json().await.expect("JSON")
}

impl Fixtures {
    async fn load(app: &TestApp, token: &str) -> Self {
        let tracks = app.track_ids(token, 3).await;
        let track: Value = json_of(
            app.get(
                &format!("/api/catalogue/tracks/{}/", tracks[0]),
                Some(token),
            )
            .await,
        )
        .await;
        let genres: Value = json_of(app.get("/api/catalogue/genres/", Some(token)).await).await;
        let genre = genres
            .as_array()
            .expect("genres")
            .iter()
            .map(|g| g["id"].as_u64().expect("genre id"))
            .find(|id| *id != 0)
            .expect("a genre besides All");
        Self {
            artist: track["track"]["artist"]["id"]
                .as_str()
                .expect("artist id")
                .to_owned(),
            album: track["track"]["album"]["id"]
                .as_str()
                .expect("album id")
                .to_owned(),
            genre: genre.to_string(),
            tracks,
        }
    }
}

struct Matrix<'a> {
    app: &'a TestApp,
    fixtures: Fixtures,
    owner: User,
    counter: usize,
}

impl Matrix<'_> {
    /// A fresh playlist of the owner's with two tracks; returns its id.
    async fn playlist(&self, is_public: bool) -> String {
        let id = self
            .app
            .playlist(&self.owner.access, "matrix", is_public)
            .await;
        let resp = self
            .app
            .post(
                &format!("/api/playlists/playlists/{id}/add_tracks/"),
                Some(&self.owner.access),
                &json!({"tracks": &self.fixtures.tracks[..2]}),
            )
            .await;
        assert!(resp.status().is_success(), "add tracks: {}", resp.status());
        id
    }

    /// Fills `{n}` (unique per call), `{email}`, `{password}`, `{refresh}` (a fresh
    /// refresh token of the owner's), `{track}`, `{track3}`, `{artist}`, `{album}`,
    /// `{genre}` and the playlist id of the row.
    async fn fill(&mut self, template: &str, playlist: Option<&str>) -> String {
        self.counter += 1;
        let mut text = template
            .replace("{n}", &self.counter.to_string())
            .replace("{email}", &self.owner.email)
            .replace("{password}", &self.owner.password)
            .replace("{track}", &self.fixtures.tracks[0])
            .replace("{track3}", &self.fixtures.tracks[2])
            .replace("{artist}", &self.fixtures.artist)
            .replace("{album}", &self.fixtures.album)
            .replace("{genre}", &self.fixtures.genre);
        if let Some(id) = playlist {
            text = text.replace("{private}", id).replace("{public}", id);
        }
        if text.contains("{refresh}") {
            let tokens = json_of(
                self.app
                    .post(
                        "/api/accounts/token/",
                        None,
                        &json!({"email": self.owner.email, "password": self.owner.password}),
                    )
                    .await,
            )
            .await;
            text = text.replace("{refresh}", tokens["refresh"].as_str().expect("refresh"));
        }
        assert!(!has_placeholder(&text), "unfilled placeholder: {text}");
        text
    }

    /// Sends the row's request as `token`'s user; returns the status, after checking
    /// that an error answer has the API's JSON error shape.
    async fn call(&mut self, row: &Row, token: Option<&str>, playlist: Option<&str>) -> u16 {
        let path = self.fill(&row.request, playlist).await;
        let method = Method::from_bytes(row.method.as_bytes()).expect("method");
        let mut req = self.app.client.request(method, self.app.url(&path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req = match row.body {
            Body::None => req,
            Body::Json(template) => {
                let body: Value =
                    serde_json::from_str(&self.fill(template, playlist).await).expect("JSON body");
                req.json(&body)
            }
            Body::Image(field) => {
                let part = multipart::Part::bytes(png())
                    .file_name("image.png")
                    .mime_str("image/png")
                    .expect("mime");
                req.multipart(multipart::Form::new().part(field, part))
            }
        };
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        if status >= 400 {
            common::expect_error(resp, status).await;
        }
        status
    }
}

/// Whether `text` still holds a `{name}` placeholder (JSON braces never enclose a bare
/// lowercase word).
fn has_placeholder(text: &str) -> bool {
    text.split('{').skip(1).any(|rest| {
        rest.split_once('}').is_some_and(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
    })
}

fn markdown(rows: &[Row]) -> String {
    let mut out = format!(
        "| operation | {} |\n|---|{}\n",
        CALLERS.join(" | "),
        "---|".repeat(5)
    );
    for row in rows {
        let on = if row.request.contains("{public}") {
            " (public playlist)"
        } else if row.request.contains("{private}") {
            " (private playlist)"
        } else {
            ""
        };
        let cells: Vec<String> = row.expect.iter().map(u16::to_string).collect();
        out += &format!(
            "| `{} {}`{on} | {} |\n",
            row.method,
            row.operation,
            cells.join(" | ")
        );
    }
    out
}

#[tokio::test]
async fn every_endpoint_answers_each_kind_of_caller_as_documented() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let other = app.user("other").await;
    let auditor = app.user("auditor").await;
    app.grant_role(&auditor.email, "auditor").await;
    let analyst = app.user("analyst").await;
    app.grant_role(&analyst.email, "analyst").await;
    let rows = table();

    let spec: Value = json_of(app.get("/api/openapi.json", None).await).await;
    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let covered: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_owned(), r.operation.to_owned()))
        .collect();
    assert_eq!(
        documented.difference(&covered).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "operations without a row in the matrix"
    );
    assert_eq!(
        covered.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "rows for operations the document does not have"
    );

    let fixtures = Fixtures::load(&app, &owner.access).await;
    // Every signed-in caller gets a playing queue, so the queue rows have one to act on.
    for user in [&owner, &other, &auditor, &analyst] {
        let resp = app
            .post(
                "/api/playlists/play-recommendation/",
                Some(&user.access),
                &json!({"track_id": fixtures.tracks[0]}),
            )
            .await;
        assert!(
            resp.status().is_success(),
            "start the queue: {}",
            resp.status()
        );
    }
    let tokens = [
        None,
        Some(owner.access.clone()),
        Some(other.access.clone()),
        Some(auditor.access.clone()),
        Some(analyst.access.clone()),
    ];
    let mut matrix = Matrix {
        app: &app,
        fixtures,
        owner,
        counter: 0,
    };
    let mut wrong = Vec::new();
    for row in &rows {
        let playlist = if row.request.contains("{private}") {
            Some(matrix.playlist(false).await)
        } else if row.request.contains("{public}") {
            Some(matrix.playlist(true).await)
        } else {
            None
        };
        // The owner goes last: their call may delete or clear what the row acts on.
        for caller in (0..CALLERS.len()).filter(|c| *c != OWNER).chain([OWNER]) {
            let status = matrix
                .call(row, tokens[caller].as_deref(), playlist.as_deref())
                .await;
            if status != row.expect[caller] {
                wrong.push(format!(
                    "{} {} as {}: {status}, documented {}",
                    row.method, row.request, CALLERS[caller], row.expect[caller]
                ));
            }
        }
    }
    println!("{}", markdown(&rows));
    assert!(
        wrong.is_empty(),
        "answers differ from the matrix:\n{}",
        wrong.join("\n")
    );
}
