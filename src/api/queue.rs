//! The play queue: one per user, Spotify-like, flowing into radio mode at its end.

use chrono::{DateTime, Utc};
use domain::{
    CatalogId, TrackSnapshot,
    queue::{PlaySource, Queue, QueueCommand, QueueError},
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use projections::queue::{self as views, HistoryItem, QueueEntryView};
use serde::Serialize;
use uuid::Uuid;

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    ids::CatalogRef,
    kept_json::{Items, KeptJson, Play, QueueItem},
    playlists::{Message, parse_playlist_id},
    security::BearerAuth,
    serde_json_body::{SerdeJson, rfc3339},
    view_cache::{TrackMembers, ViewCache, version_of},
};
use crate::{
    commands::CommandError,
    playlists::{self, queries::TrackRow},
    radio,
    state::AppState,
};

pub struct QueueApi;

#[derive(Object)]
struct QueueInfo {
    /// The queue's id: one queue per user, so it is the user's id.
    id: Uuid,
    /// The current track, or null when nothing is playing.
    #[oai(nullable)]
    current_track_id: Option<String>,
    #[oai(nullable)]
    current_position: Option<i32>,
    track_count: i32,
    /// True once the queue has run into radio mode.
    is_radio_mode: bool,
    /// Null for a queue never used.
    #[oai(nullable)]
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Object)]
struct QueueUpdate {
    /// Make this track current (the first entry with it, or the one at `current_position`).
    #[oai(nullable)]
    current_track_id: Option<CatalogRef>,
    /// Make the entry at this position current.
    #[oai(nullable)]
    current_position: Option<i64>,
}

#[derive(Object, Serialize)]
struct QueueTrack {
    /// The queue entry's id (the same track may be queued twice).
    id: Uuid,
    track_id: String,
    track_title: String,
    artist_id: String,
    artist_name: String,
    album_title: String,
    album_cover: String,
    duration: i32,
    position: i32,
}

#[derive(Object)]
struct TrackRequest {
    track_id: CatalogRef,
}

#[derive(Object)]
struct TrackBrief {
    track_id: String,
    track_title: String,
}

#[derive(Object)]
struct Enqueued {
    message: String,
    position: i32,
    track_info: TrackBrief,
}

#[derive(Object)]
pub struct NowPlaying {
    track_id: String,
    track_title: String,
    artist_name: String,
}

impl From<&TrackSnapshot> for NowPlaying {
    fn from(track: &TrackSnapshot) -> Self {
        Self {
            track_id: track.track_id.to_string(),
            track_title: track.title.clone(),
            artist_name: track.artist_name.clone(),
        }
    }
}

#[derive(Object)]
struct Moved {
    current_track: NowPlaying,
    position: i32,
    /// True when the track comes from radio mode.
    is_radio_mode: bool,
}

#[derive(Object)]
struct PlayPlaylistRequest {
    /// The position (0-based) of the track to start from; 0 when absent.
    position: Option<i64>,
    /// Shuffle the tracks after the chosen one.
    shuffle: Option<bool>,
}

#[derive(Object)]
struct PositionRequest {
    position: i64,
}

#[derive(Object)]
struct Shuffled {
    message: String,
    track_count: i32,
}

#[derive(Object)]
struct StreamTrackInfo {
    track_id: String,
    track_title: String,
    artist_name: String,
    duration: i32,
}

#[derive(Object)]
struct Streaming {
    /// Our streaming endpoint for this track (`GET`, bearer token required).
    stream_url: String,
    track_info: StreamTrackInfo,
    /// Whether the track was already in the queue.
    in_queue: bool,
    position: i32,
}

#[derive(Object, Serialize)]
struct PlayHistoryEntry {
    id: Uuid,
    track_id: String,
    track_title: String,
    artist_id: String,
    artist_name: String,
    album_title: String,
    album_cover: String,
    duration: i32,
    #[serde(serialize_with = "rfc3339")]
    played_at: DateTime<Utc>,
}

#[derive(Object, Serialize)]
struct PlayHistory {
    history: Vec<PlayHistoryEntry>,
    /// All plays of the user, whatever the page.
    count: i64,
}

#[derive(Object)]
pub struct PlayStarted {
    pub message: String,
    pub current_track: NowPlaying,
    pub queue_length: i32,
}

#[derive(ApiResponse)]
pub enum PlayStartedResponse {
    #[oai(status = 200)]
    Ok(Json<PlayStarted>),
}

#[derive(ApiResponse)]
enum QueueInfoResponse {
    #[oai(status = 200)]
    Ok(Json<QueueInfo>),
}

#[derive(ApiResponse)]
enum QueueTracksResponse {
    #[oai(status = 200)]
    Ok(SerdeJson<Vec<QueueTrack>>),
}

#[derive(ApiResponse)]
enum EnqueueResponse {
    #[oai(status = 200)]
    Ok(Json<Enqueued>),
}

#[derive(ApiResponse)]
enum MovedResponse {
    #[oai(status = 200)]
    Ok(Json<Moved>),
}

#[derive(ApiResponse)]
enum MessageResponse {
    #[oai(status = 200)]
    Ok(Json<Message>),
}

#[derive(ApiResponse)]
enum CurrentResponse {
    #[oai(status = 200)]
    Ok(Json<QueueTrack>),
}

#[derive(ApiResponse)]
enum ShuffleResponse {
    #[oai(status = 200)]
    Ok(Json<Shuffled>),
}

#[derive(ApiResponse)]
enum StreamResponse {
    #[oai(status = 200)]
    Ok(Json<Streaming>),
}

#[derive(ApiResponse)]
enum HistoryResponse {
    #[oai(status = 200)]
    Ok(SerdeJson<PlayHistory>),
}

impl From<QueueError> for ApiError {
    fn from(err: QueueError) -> Self {
        match err {
            QueueError::Empty => ApiError::bad_request(err.to_string()),
            QueueError::PositionOutOfRange { .. } => {
                ApiError::validation("position", err.to_string())
            }
            QueueError::Full { .. } => ApiError::bad_request(err.to_string()),
            QueueError::NoTracks => ApiError::bad_request(err.to_string()),
            QueueError::TrackNotInQueue(_) | QueueError::TrackMismatch { .. } => {
                ApiError::validation("current_track_id", err.to_string())
            }
        }
    }
}

fn queue_track(e: QueueEntryView) -> QueueTrack {
    QueueTrack {
        id: e.entry_id,
        track_id: e.track_id.to_string(),
        track_title: e.title,
        artist_id: e.artist_id.to_string(),
        artist_name: e.artist_name,
        album_title: e.album_title,
        album_cover: e.album_cover,
        duration: e.duration,
        position: e.position,
    }
}

/// The queue's tracks as [`QueueTrack`]s, each track's metadata shared.
fn queue_tracks_json(entries: &[QueueEntryView], views: &ViewCache) -> KeptJson {
    let items = entries.iter().map(|e| QueueItem {
        id: e.entry_id,
        position: e.position,
        track: views.track(&TrackMembers {
            track_id: e.track_id.to_string(),
            track_title: &e.title,
            artist_id: e.artist_id.to_string(),
            artist_name: &e.artist_name,
            album_title: &e.album_title,
            album_cover: &e.album_cover,
            duration: e.duration.into(),
        }),
    });
    KeptJson::array(Items::Queue(items.collect()))
}

/// A page of plays as a [`PlayHistory`], each track's metadata shared.
fn history_json(plays: &[HistoryItem], count: i64, views: &ViewCache) -> KeptJson {
    let items = plays.iter().map(|h| Play {
        id: h.play_id,
        played_at: h.played_at,
        track: views.track(&TrackMembers {
            track_id: h.track_id.to_string(),
            track_title: &h.title,
            artist_id: h.artist_id.to_string(),
            artist_name: &h.artist_name,
            album_title: &h.album_title,
            album_cover: &h.album_cover,
            duration: h.duration.into(),
        }),
    });
    KeptJson::new(
        "{\"history\":",
        Items::Plays(items.collect()),
        format!(",\"count\":{count}}}"),
    )
}

/// A playlist track as the queue stores it: the metadata captured when it was added.
fn snapshot_of(row: TrackRow) -> ApiResult<TrackSnapshot> {
    let id = |raw: i64| CatalogId::new(raw as u64).map_err(ApiError::internal);
    Ok(TrackSnapshot {
        track_id: id(row.track_id)?,
        title: row.title,
        artist_id: id(row.artist_id)?,
        artist_name: row.artist_name,
        album_id: None,
        album_title: row.album_title,
        album_cover: row.album_cover,
        duration: row.duration.max(0) as u32,
    })
}

fn position(raw: i64) -> ApiResult<usize> {
    usize::try_from(raw).map_err(|_| ApiError::validation("position", "must be 0 or more"))
}

async fn run(state: &AppState, user: Uuid, command: QueueCommand) -> ApiResult<()> {
    run_then(state, user, command, |_| ()).await
}

/// Runs the command and answers `answer` of the queue it left.
async fn run_then<R>(
    state: &AppState,
    user: Uuid,
    command: QueueCommand,
    answer: impl FnOnce(&Queue) -> R,
) -> ApiResult<R> {
    Ok(state
        .queue
        .execute_then(&user.to_string(), command, user, answer)
        .await?)
}

async fn info(state: &AppState, user: Uuid) -> ApiResult<QueueInfo> {
    let view = views::queue(&state.pool, user).await?;
    Ok(QueueInfo {
        id: user,
        current_track_id: view
            .as_ref()
            .and_then(|v| v.current_track_id)
            .map(|t| t.to_string()),
        current_position: view.as_ref().and_then(|v| v.current_position),
        track_count: view.as_ref().map_or(0, |v| v.track_count),
        is_radio_mode: view.as_ref().is_some_and(|v| v.is_radio),
        updated_at: view.map(|v| v.updated_at),
    })
}

/// The entry playing now, as the read model has it.
async fn now_playing(state: &AppState, user: Uuid) -> ApiResult<QueueEntryView> {
    let view = views::queue(&state.pool, user)
        .await?
        .ok_or_else(|| ApiError::not_found("nothing is playing"))?;
    let current = view
        .current_position
        .ok_or_else(|| ApiError::not_found("nothing is playing"))?;
    let entry = views::queue_entry_at(&state.pool, user, current)
        .await?
        .ok_or_else(|| ApiError::not_found("nothing is playing"))?;
    Ok(entry)
}

/// What plays after a command that made an entry current, from the queue it left.
fn moved(queue: &Queue) -> ApiResult<MovedResponse> {
    let (position, entry) = playing(queue)?;
    Ok(MovedResponse::Ok(Json(Moved {
        position,
        current_track: NowPlaying::from(&*entry.track),
        is_radio_mode: queue.is_radio(),
    })))
}

fn playing(queue: &Queue) -> ApiResult<(i32, &domain::queue::QueueEntry)> {
    let position = queue
        .current()
        .ok_or_else(|| ApiError::not_found("nothing is playing"))?;
    let entry = &queue.entries()[position];
    Ok((position as i32, entry))
}

/// Replaces the caller's queue (playing a playlist, or radio from a track) and answers
/// with what now plays.
pub async fn play_tracks(
    state: &AppState,
    user: Uuid,
    tracks: Vec<domain::TrackSnapshot>,
    start: usize,
    shuffle: bool,
    source: PlaySource,
    message: &str,
) -> ApiResult<PlayStartedResponse> {
    let shuffle_seed = shuffle.then(rand::random::<u64>);
    let command = QueueCommand::Play {
        tracks,
        start,
        shuffle_seed,
        source,
    };
    run_then(state, user, command, |queue| {
        let (_, entry) = playing(queue)?;
        Ok(PlayStartedResponse::Ok(Json(PlayStarted {
            message: message.to_owned(),
            current_track: NowPlaying::from(&*entry.track),
            queue_length: queue.entries().len() as i32,
        })))
    })
    .await?
}

#[OpenApi(tag = "ApiTags::Queue")]
impl QueueApi {
    /// The caller's queue.
    #[oai(
        path = "/api/playlists/queue/",
        method = "get",
        operation_id = "get_queue"
    )]
    async fn get_queue(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<QueueInfoResponse> {
        Ok(QueueInfoResponse::Ok(Json(
            info(state, auth.user().id).await?,
        )))
    }

    /// Set the current track by position and/or track id.
    ///
    /// With both, the track at `current_position` must be `current_track_id` (else 400).
    /// Making a track current records a play in the history.
    #[oai(
        path = "/api/playlists/queue/",
        method = "patch",
        operation_id = "update_queue"
    )]
    async fn update_queue(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<QueueUpdate>,
    ) -> ApiResult<QueueInfoResponse> {
        let user = auth.user().id;
        let command = QueueCommand::Select {
            position: body.current_position.map(position).transpose()?,
            track_id: body.current_track_id.map(|t| t.0),
        };
        run(state, user, command).await?;
        Ok(QueueInfoResponse::Ok(Json(info(state, user).await?)))
    }

    /// Every track in the queue, in order.
    #[oai(
        path = "/api/playlists/queue/tracks/",
        method = "get",
        operation_id = "get_queue_tracks"
    )]
    async fn tracks(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<QueueTracksResponse> {
        let user = auth.user().id;
        let answers = &state.views.queue_tracks;
        let known = answers.known(&user);
        let version = version_of(&known);
        let read = state
            .reads
            .read(|conn| Box::pin(views::queue_entries_versioned(conn, user, version)))
            .await?;
        let answer = answers.answer(user, known, read, |entries| {
            ((), queue_tracks_json(&entries, &state.views))
        });
        Ok(QueueTracksResponse::Ok(SerdeJson::rendered(
            answer.body.render(),
        )))
    }

    /// Add a track at the end of the queue (at most 1000 tracks).
    #[oai(
        path = "/api/playlists/queue/enqueue/",
        method = "post",
        operation_id = "enqueue_track"
    )]
    async fn enqueue(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<TrackRequest>,
    ) -> ApiResult<EnqueueResponse> {
        let user = auth.user().id;
        let track = state.catalog.track(body.track_id.0).await?.snapshot();
        let brief = TrackBrief {
            track_id: track.track_id.to_string(),
            track_title: track.title.clone(),
        };
        let entry_id = Uuid::now_v7();
        let position = run_then(
            state,
            user,
            QueueCommand::Enqueue { entry_id, track },
            |q| q.entries().iter().position(|e| e.entry_id == entry_id),
        )
        .await?
        .ok_or_else(|| ApiError::internal("the enqueued entry is not in the queue"))?
            as i32;
        Ok(EnqueueResponse::Ok(Json(Enqueued {
            message: "Track added to queue".into(),
            position,
            track_info: brief,
        })))
    }

    /// Play the next track; at the end of the queue, radio mode appends related tracks
    /// (never tracks heard in the last hour when others exist) and plays the first.
    #[oai(
        path = "/api/playlists/queue/next/",
        method = "post",
        operation_id = "next_track"
    )]
    async fn next(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<MovedResponse> {
        let user = auth.user().id;
        let next = |radio| QueueCommand::Next { radio };
        let played = state
            .queue
            .execute_then(&user.to_string(), next(Vec::new()), user, moved)
            .await;
        match played {
            Err(CommandError::Domain(QueueError::Empty)) => {
                // At the end: radio tracks are looked up only now, as a retry.
                let seed = views::queue(&state.pool, user)
                    .await?
                    .and_then(|v| v.current_track_id)
                    .and_then(|t| CatalogId::new(t as u64).ok());
                let radio = radio::radio_tracks(state, user, seed).await?;
                run_then(state, user, next(radio), moved).await?
            }
            answered => answered?,
        }
    }

    /// Play the previous track (staying on the first at the start).
    #[oai(
        path = "/api/playlists/queue/previous/",
        method = "post",
        operation_id = "previous_track"
    )]
    async fn previous(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<MovedResponse> {
        run_then(state, auth.user().id, QueueCommand::Previous, moved).await?
    }

    /// Remove every track from the queue.
    #[oai(
        path = "/api/playlists/queue/clear/",
        method = "post",
        operation_id = "clear_queue"
    )]
    async fn clear(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<MessageResponse> {
        run(state, auth.user().id, QueueCommand::Clear).await?;
        Ok(MessageResponse::Ok(Json(Message {
            message: "Queue cleared".into(),
        })))
    }

    /// The track playing now; 404 when nothing is.
    #[oai(
        path = "/api/playlists/queue/current/",
        method = "get",
        operation_id = "current_track"
    )]
    async fn current(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<CurrentResponse> {
        let entry = now_playing(state, auth.user().id).await?;
        Ok(CurrentResponse::Ok(Json(queue_track(entry))))
    }

    /// Play the track at a position (0-based); out of range is 400.
    #[oai(
        path = "/api/playlists/queue/position/",
        method = "post",
        operation_id = "play_position"
    )]
    async fn play_position(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<PositionRequest>,
    ) -> ApiResult<MovedResponse> {
        let position = position(body.position)?;
        run_then(
            state,
            auth.user().id,
            QueueCommand::JumpTo { position },
            moved,
        )
        .await?
    }

    /// Shuffle the tracks after the current one.
    #[oai(
        path = "/api/playlists/queue/shuffle/",
        method = "post",
        operation_id = "shuffle_queue"
    )]
    async fn shuffle(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<ShuffleResponse> {
        let command = QueueCommand::Shuffle {
            seed: rand::random(),
        };
        let track_count =
            run_then(state, auth.user().id, command, |q| q.entries().len()).await? as i32;
        Ok(ShuffleResponse::Ok(Json(Shuffled {
            message: "Queue shuffled".into(),
            track_count,
        })))
    }

    /// Play a track now: its queue entry when queued, else a new entry right after the
    /// current one. `stream_url` is this server's stream endpoint for the track.
    #[oai(
        path = "/api/playlists/queue/stream/",
        method = "post",
        operation_id = "stream_queue_track"
    )]
    async fn stream(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<TrackRequest>,
    ) -> ApiResult<StreamResponse> {
        let user = auth.user().id;
        let track = state.catalog.track(body.track_id.0).await?.snapshot();
        let in_queue = views::queue_entries(&state.pool, user)
            .await?
            .iter()
            .any(|e| e.track_id == track.track_id.get() as i64);
        let command = QueueCommand::Stream {
            entry_id: Uuid::now_v7(),
            track: track.clone(),
        };
        let position = run_then(state, user, command, |q| playing(q).map(|(p, _)| p)).await??;
        Ok(StreamResponse::Ok(Json(Streaming {
            stream_url: format!("/api/catalogue/stream/{}/", track.track_id),
            track_info: StreamTrackInfo {
                track_id: track.track_id.to_string(),
                track_title: track.title,
                artist_name: track.artist_name,
                duration: track.duration as i32,
            },
            in_queue,
            position,
        })))
    }

    /// Play a playlist: the queue becomes its tracks from `position` on (shuffled after the
    /// chosen track with `shuffle`), and the chosen track plays. Works for the caller's
    /// playlists and other users' public ones; another user's private playlist is 404.
    #[oai(
        path = "/api/playlists/playlists/:id/play/",
        method = "post",
        operation_id = "play_playlist"
    )]
    async fn play_playlist(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<PlayPlaylistRequest>,
    ) -> ApiResult<PlayStartedResponse> {
        let user = auth.user().id;
        let playlist_id = parse_playlist_id(&id)?;
        let (playlist, tracks) =
            playlists::queries::playlist_with_tracks(&state.pool, playlist_id.uuid(), None)
                .await?
                .filter(|(p, _)| p.visible_to(user))
                .ok_or_else(|| ApiError::not_found("no such playlist"))?;
        let tracks = tracks.rows;
        if tracks.is_empty() {
            return Err(ApiError::bad_request(format!(
                "playlist {} has no tracks to play",
                playlist.id
            )));
        }
        let start = position(body.position.unwrap_or(0))?;
        let tracks = tracks
            .into_iter()
            .map(snapshot_of)
            .collect::<ApiResult<Vec<_>>>()?;
        let source = PlaySource::Playlist { playlist_id };
        let shuffle = body.shuffle.unwrap_or(false);
        play_tracks(
            state,
            user,
            tracks,
            start,
            shuffle,
            source,
            "Playlist added to queue",
        )
        .await
    }

    /// Start radio mode from a track: it plays now, followed by related tracks; `next`
    /// keeps adding more at the end.
    #[oai(
        path = "/api/playlists/play-recommendation/",
        method = "post",
        operation_id = "play_recommendation"
    )]
    async fn play_recommendation(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<TrackRequest>,
    ) -> ApiResult<PlayStartedResponse> {
        let user = auth.user().id;
        let seed = state.catalog.track(body.track_id.0).await?.snapshot();
        let mut tracks = vec![seed.clone()];
        tracks.extend(radio::radio_tracks(state, user, Some(seed.track_id)).await?);
        let source = PlaySource::Radio {
            seed_track: seed.track_id,
        };
        play_tracks(
            state,
            user,
            tracks,
            0,
            false,
            source,
            "Radio mode started with recommended track",
        )
        .await
    }

    /// The caller's plays, newest first.
    #[oai(
        path = "/api/playlists/queue/history/",
        method = "get",
        operation_id = "playback_history"
    )]
    async fn history(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        /// 1 to 500.
        #[oai(
            default = "default_history_limit",
            validator(minimum(value = "1"), maximum(value = "500"))
        )]
        limit: Query<i64>,
        #[oai(default, validator(minimum(value = "0")))] offset: Query<i64>,
    ) -> ApiResult<HistoryResponse> {
        let user = auth.user().id;
        let key = (user, limit.0, offset.0);
        let answers = &state.views.history;
        let known = answers.known(&key);
        let version = version_of(&known);
        let read = state
            .reads
            .read(|conn| Box::pin(views::history(conn, user, limit.0, offset.0, version)))
            .await?;
        let answer = answers.answer(key, known, read, |(items, count)| {
            ((), history_json(&items, count, &state.views))
        });
        Ok(HistoryResponse::Ok(SerdeJson::rendered(
            answer.body.render(),
        )))
    }
}

fn default_history_limit() -> i64 {
    50
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::api::serde_json_body::assert_same_json;

    #[test]
    fn queue_tracks_and_history_are_written_as_documented() {
        assert_same_json(&vec![QueueTrack {
            id: Uuid::now_v7(),
            track_id: "3135553".into(),
            track_title: "Harder, Better".into(),
            artist_id: "27".into(),
            artist_name: "Daft Punk".into(),
            album_title: "Discovery \\ 2001".into(),
            album_cover: "https://e-cdns-images.dzcdn.net/cover.jpg".into(),
            duration: 224,
            position: 0,
        }]);
        assert_same_json(&PlayHistory {
            history: vec![PlayHistoryEntry {
                id: Uuid::now_v7(),
                track_id: "3135553".into(),
                track_title: "Harder, Better".into(),
                artist_id: "27".into(),
                artist_name: "Daft Punk".into(),
                album_title: "Discovery".into(),
                album_cover: String::new(),
                duration: 224,
                played_at: Utc.timestamp_opt(1_796_000_000, 5_000).unwrap(),
            }],
            count: 1,
        });
    }

    fn entry(position: i32, title: &str) -> QueueEntryView {
        QueueEntryView {
            entry_id: Uuid::now_v7(),
            position,
            track_id: 3135553,
            title: title.into(),
            artist_id: 27,
            artist_name: "AC/DC \\ </script>".into(),
            album_id: Some(302127),
            album_title: "Discovery\t\u{1}".into(),
            album_cover: "https://e-cdns-images.dzcdn.net/cover.jpg".into(),
            duration: 224,
        }
    }

    fn rendered(json: KeptJson) -> serde_json::Value {
        serde_json::from_slice(&json.render()).expect("rendered answers are JSON")
    }

    #[test]
    fn kept_queue_tracks_are_the_documented_json() {
        let views = ViewCache::default();
        assert_eq!(
            rendered(queue_tracks_json(&[], &views)),
            serde_json::json!([])
        );
        let entries = vec![
            entry(0, "One More Time \"live\" 🎵\n"),
            entry(1, "One More Time \"live\" 🎵\n"),
            entry(2, "Aerodynamic"),
        ];
        let typed: Vec<QueueTrack> = entries.iter().cloned().map(queue_track).collect();
        assert_eq!(
            rendered(queue_tracks_json(&entries, &views)),
            serde_json::to_value(typed).unwrap()
        );
    }

    #[test]
    fn kept_pages_of_plays_are_the_documented_json() {
        let views = ViewCache::default();
        let items: Vec<HistoryItem> = ["Harder, Better \"Faster\"", "Digital Love"]
            .into_iter()
            .map(|title| {
                let e = entry(0, title);
                HistoryItem {
                    play_id: Uuid::now_v7(),
                    track_id: e.track_id,
                    title: e.title,
                    artist_id: e.artist_id,
                    artist_name: e.artist_name,
                    album_title: e.album_title,
                    album_cover: e.album_cover,
                    duration: e.duration,
                    played_at: Utc.timestamp_opt(1_796_000_000, 5_000).unwrap(),
                }
            })
            .collect();
        let typed = PlayHistory {
            history: items
                .iter()
                .map(|h| PlayHistoryEntry {
                    id: h.play_id,
                    track_id: h.track_id.to_string(),
                    track_title: h.title.clone(),
                    artist_id: h.artist_id.to_string(),
                    artist_name: h.artist_name.clone(),
                    album_title: h.album_title.clone(),
                    album_cover: h.album_cover.clone(),
                    duration: h.duration,
                    played_at: h.played_at,
                })
                .collect(),
            count: 7,
        };
        assert_eq!(
            rendered(history_json(&items, 7, &views)),
            serde_json::to_value(typed).unwrap()
        );
        assert_eq!(
            rendered(history_json(&[], 0, &views)),
            serde_json::json!({"history": [], "count": 0})
        );
    }
}
