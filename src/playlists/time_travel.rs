//! A playlist as it was: its events read back from the store and folded with the
//! aggregate's own `apply`, so a past state is exactly what the aggregate saw then.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::{
    PlaylistId,
    playlist::{Playlist, PlaylistEntry, PlaylistEvent},
};
use projections::{StoredEvent, stored_event::EVENT_COLUMNS};
use sqlx::PgPool;

/// Every event of the playlist, in order (version 1 first).
pub async fn events(pool: &PgPool, id: PlaylistId) -> sqlx::Result<Vec<StoredEvent>> {
    sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from events
          where aggregate_type = $1 and aggregate_id = $2
          order by sequence"
    ))
    .bind(Playlist::TYPE)
    .bind(id.to_string())
    .fetch_all(pool)
    .await
}

/// How far to fold.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    Latest,
    /// Up to and including this version.
    Version(u64),
    /// Every event recorded at or before this time.
    Time(DateTime<Utc>),
}

impl Until {
    fn includes(self, event: &StoredEvent) -> bool {
        match self {
            Self::Latest => true,
            Self::Version(version) => u64::try_from(event.sequence).is_ok_and(|s| s <= version),
            Self::Time(at) => event.recorded_at <= at,
        }
    }
}

/// A playlist rebuilt from its events, with the time each of them was recorded.
#[derive(Debug, Clone)]
pub struct PastPlaylist {
    pub playlist: Playlist,
    /// `recorded_at[v - 1]` is when version `v` was recorded.
    recorded_at: Vec<DateTime<Utc>>,
}

impl PastPlaylist {
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.recorded_at.first().copied()
    }

    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.recorded_at.last().copied()
    }

    pub fn added_at(&self, entry: &PlaylistEntry) -> Option<DateTime<Utc>> {
        let index = usize::try_from(entry.added_in_version)
            .ok()?
            .checked_sub(1)?;
        self.recorded_at.get(index).copied()
    }
}

/// Folds the events `until` says. Events of one playlist are recorded in version order
/// (a version is only written once the one before it committed), so a time bound keeps
/// a prefix.
pub fn fold(events: &[StoredEvent], until: Until) -> Result<PastPlaylist, serde_json::Error> {
    let mut playlist = Playlist::default();
    let mut recorded_at = Vec::new();
    for event in events.iter().take_while(|e| until.includes(e)) {
        playlist.apply(event.decode::<PlaylistEvent>()?);
        recorded_at.push(event.recorded_at);
    }
    Ok(PastPlaylist {
        playlist,
        recorded_at,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::{CatalogId, TrackSnapshot, UserId, playlist::EntryId};
    use serde_json::json;

    use super::*;

    fn stored(sequence: i64, minute: u32, event: PlaylistEvent) -> StoredEvent {
        StoredEvent {
            position: sequence,
            aggregate_type: Playlist::TYPE.into(),
            aggregate_id: "p".into(),
            sequence,
            event_type: String::new(),
            event_version: "1.0".into(),
            payload: sqlx::types::Json(serde_json::value::to_raw_value(&event).unwrap()),
            metadata: sqlx::types::Json(serde_json::value::to_raw_value(&json!({})).unwrap()),
            recorded_at: Utc.with_ymd_and_hms(2026, 1, 1, 12, minute, 0).unwrap(),
        }
    }

    fn history() -> Vec<StoredEvent> {
        let owner = UserId::new();
        let track = |n: u64| TrackSnapshot {
            track_id: CatalogId::new(n).unwrap(),
            title: format!("T{n}"),
            artist_id: CatalogId::new(9).unwrap(),
            artist_name: "A".into(),
            album_id: None,
            album_title: "B".into(),
            album_cover: String::new(),
            duration: 1,
        };
        let added = |n: u64, position| PlaylistEvent::TrackAdded {
            by: owner,
            entry_id: EntryId::new(),
            track: track(n),
            position,
        };
        vec![
            stored(
                1,
                0,
                PlaylistEvent::PlaylistCreated {
                    playlist_id: PlaylistId::new(),
                    owner,
                    name: "Mix".into(),
                    description: String::new(),
                    is_public: false,
                },
            ),
            stored(2, 1, added(1, 0)),
            stored(3, 2, added(2, 1)),
        ]
    }

    #[test]
    fn folding_up_to_a_version_keeps_that_prefix_with_its_times() {
        let past = fold(&history(), Until::Version(2)).unwrap();
        assert_eq!(past.playlist.version(), 2);
        assert_eq!(past.playlist.tracks().len(), 1);
        let minute = |m| Utc.with_ymd_and_hms(2026, 1, 1, 12, m, 0).unwrap();
        assert_eq!(past.created_at(), Some(minute(0)));
        assert_eq!(past.updated_at(), Some(minute(1)));
        assert_eq!(past.added_at(&past.playlist.tracks()[0]), Some(minute(1)));
    }

    #[test]
    fn folding_up_to_a_time_includes_events_recorded_then() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 12, 2, 0).unwrap();
        assert_eq!(
            fold(&history(), Until::Time(at))
                .unwrap()
                .playlist
                .version(),
            3
        );
        let before = Utc.with_ymd_and_hms(2026, 1, 1, 11, 0, 0).unwrap();
        let past = fold(&history(), Until::Time(before)).unwrap();
        assert!(past.playlist.details().is_none());
        assert_eq!(past.created_at(), None);
    }
}
