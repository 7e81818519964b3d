//! The playlists read model: one row per live playlist in `playlists`, its tracks in
//! `playlist_tracks` at dense positions from 0. A deleted playlist loses its rows.
//! `playlist_counts` holds how many playlists are public, for lists' totals.

use async_trait::async_trait;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::{
    TrackSnapshot,
    playlist::{EntryId, Playlist, PlaylistEvent},
};
use sqlx::PgConnection;

use uuid::Uuid;

use crate::{
    Projection, ProjectionError, StoredEvent,
    track_columns::{TRACK_COLUMNS, TrackColumns, db_id, track_unnest_args},
};

pub struct PlaylistsProjection;

/// Runs a statement whose `$1` is the playlist and whose following parameters are `numbers`.
async fn exec(
    conn: &mut PgConnection,
    sql: &str,
    playlist: &str,
    numbers: &[i64],
) -> Result<(), sqlx::Error> {
    numbers
        .iter()
        .fold(sqlx::query(sql).bind(playlist), |q, n| q.bind(*n))
        .execute(conn)
        .await
        .map(|_| ())
}

#[async_trait]
impl Projection for PlaylistsProjection {
    fn name(&self) -> &'static str {
        "playlists"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &[Playlist::TYPE]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["playlist_tracks", "playlists", "playlist_counts"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut pending = Pending::default();
        // How many more public playlists there are: counted once per batch.
        let mut public = 0;
        for event in events {
            let decoded: PlaylistEvent = event.decoded()?;
            let id = event.aggregate_id.as_str();
            match decoded {
                PlaylistEvent::PlaylistCreated {
                    owner,
                    name,
                    description,
                    is_public,
                    ..
                } => {
                    public += i64::from(is_public);
                    pending.create(id, owner.uuid(), name, description, is_public, event);
                }
                PlaylistEvent::TrackAdded {
                    entry_id,
                    track,
                    position,
                    ..
                } => {
                    if !pending.extends(id, position) {
                        pending.flush(conn).await?;
                    }
                    pending.add(id, entry_id, &track, position, event);
                }
                change => {
                    pending.flush(conn).await?;
                    public += apply_change(conn, id, change, event).await?;
                }
            }
        }
        pending.flush(conn).await?;
        count_public(conn, public).await?;
        Ok(())
    }
}

/// Playlists created and runs of tracks appended since the last other change: building a
/// playlist is most of its events, and these go to the database in four statements.
#[derive(Default)]
struct Pending {
    created: Created,
    /// Per playlist, its run of consecutive additions.
    runs: Vec<Run>,
    run_of: HashMap<String, usize>,
    tracks: AddedTracks,
}

#[derive(Default)]
struct Created {
    ids: Vec<String>,
    owners: Vec<Uuid>,
    names: Vec<String>,
    descriptions: Vec<String>,
    public: Vec<bool>,
    versions: Vec<i64>,
    at: Vec<DateTime<Utc>>,
}

struct Run {
    playlist: String,
    first: i32,
    count: i32,
    version: i64,
    at: DateTime<Utc>,
}

#[derive(Default)]
struct AddedTracks {
    playlists: Vec<String>,
    entries: Vec<Uuid>,
    positions: Vec<i32>,
    tracks: TrackColumns,
    at: Vec<DateTime<Utc>>,
}

impl Pending {
    fn create(
        &mut self,
        id: &str,
        owner: Uuid,
        name: String,
        description: String,
        is_public: bool,
        event: &StoredEvent,
    ) {
        let c = &mut self.created;
        c.ids.push(id.to_owned());
        c.owners.push(owner);
        c.names.push(name);
        c.descriptions.push(description);
        c.public.push(is_public);
        c.versions.push(event.sequence);
        c.at.push(event.recorded_at);
    }

    /// Whether an addition at `position` continues the playlist's run (or starts one).
    fn extends(&self, playlist: &str, position: usize) -> bool {
        self.run_of
            .get(playlist)
            .is_none_or(|&i| (self.runs[i].first + self.runs[i].count) as usize == position)
    }

    fn add(
        &mut self,
        playlist: &str,
        entry_id: EntryId,
        track: &TrackSnapshot,
        position: usize,
        event: &StoredEvent,
    ) {
        let index = *self.run_of.entry(playlist.to_owned()).or_insert_with(|| {
            self.runs.push(Run {
                playlist: playlist.to_owned(),
                first: position as i32,
                count: 0,
                version: event.sequence,
                at: event.recorded_at,
            });
            self.runs.len() - 1
        });
        let run = &mut self.runs[index];
        run.count += 1;
        run.version = event.sequence;
        run.at = event.recorded_at;
        let t = &mut self.tracks;
        t.playlists.push(playlist.to_owned());
        t.entries.push(entry_id.uuid());
        t.positions.push(position as i32);
        t.tracks.push(track);
        t.at.push(event.recorded_at);
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let c = &self.created;
        if !c.ids.is_empty() {
            sqlx::query(
                "insert into playlists (id, owner_id, name, description, is_public, version,
                                        created_at, updated_at)
                 select id, owner, name, description, public, version, at, at
                   from unnest($1::text[]::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bool[],
                               $6::bigint[], $7::timestamptz[])
                        as c(id, owner, name, description, public, version, at)",
            )
            .bind(&c.ids)
            .bind(&c.owners)
            .bind(&c.names)
            .bind(&c.descriptions)
            .bind(&c.public)
            .bind(&c.versions)
            .bind(&c.at)
            .execute(&mut *conn)
            .await?;
        }
        if !self.runs.is_empty() {
            let column = |f: fn(&Run) -> i32| self.runs.iter().map(f).collect::<Vec<_>>();
            let ids: Vec<&str> = self.runs.iter().map(|r| r.playlist.as_str()).collect();
            let (firsts, counts) = (column(|r| r.first), column(|r| r.count));
            shift_for_insertions(conn, &ids, &firsts, &counts).await?;
            let t = &self.tracks;
            let sql = format!(
                "insert into playlist_tracks (playlist_id, entry_id, position, {TRACK_COLUMNS}, added_at)
                 select * from unnest($1::text[]::uuid[], $2::uuid[], $3::int[], {}, $12::timestamptz[])",
                track_unnest_args(4)
            );
            let query = sqlx::query(&sql)
                .bind(&t.playlists)
                .bind(&t.entries)
                .bind(&t.positions);
            t.tracks.bind(query).bind(&t.at).execute(&mut *conn).await?;
            let versions: Vec<i64> = self.runs.iter().map(|r| r.version).collect();
            let at: Vec<DateTime<Utc>> = self.runs.iter().map(|r| r.at).collect();
            sqlx::query(
                "update playlists p
                    set track_count = p.track_count + r.count, version = r.version, updated_at = r.at
                   from unnest($1::text[]::uuid[], $2::int[], $3::bigint[], $4::timestamptz[])
                        as r(id, count, version, at)
                  where p.id = r.id",
            )
            .bind(&ids)
            .bind(&counts)
            .bind(&versions)
            .bind(&at)
            .execute(&mut *conn)
            .await?;
        }
        *self = Self::default();
        Ok(())
    }
}

/// Additions insert at their position, so what was there and after moves down. Nearly
/// every addition appends, which moves nothing: find the runs that do move rows first,
/// by primary key, rather than let one join over every playlist's tracks find nothing.
async fn shift_for_insertions(
    conn: &mut PgConnection,
    ids: &[&str],
    firsts: &[i32],
    counts: &[i32],
) -> Result<(), sqlx::Error> {
    let inside: Vec<i64> = sqlx::query_scalar(
        "select r.i from unnest($1::text[]::uuid[], $2::int[]) with ordinality as r(id, first, i)
           join playlists p on p.id = r.id
          where r.first < p.track_count",
    )
    .bind(ids)
    .bind(firsts)
    .fetch_all(&mut *conn)
    .await?;
    for i in inside {
        let i = i as usize - 1;
        exec(
            conn,
            "update playlist_tracks set position = position + $3
              where playlist_id = $1::uuid and position >= $2",
            ids[i],
            &[firsts[i].into(), counts[i].into()],
        )
        .await?;
    }
    Ok(())
}

/// Moves the number of public playlists by `change`. The row goes when the number reaches
/// 0 rather than stay at 0, so it is the same however the events were batched.
async fn count_public(conn: &mut PgConnection, change: i64) -> Result<(), sqlx::Error> {
    if change == 0 {
        return Ok(());
    }
    let now: Option<i64> =
        sqlx::query_scalar("update playlist_counts set public = public + $1 returning public")
            .bind(change)
            .fetch_optional(&mut *conn)
            .await?;
    match now {
        Some(0) => {
            sqlx::query("delete from playlist_counts")
                .execute(conn)
                .await?;
        }
        Some(_) => {}
        None => {
            sqlx::query("insert into playlist_counts (public) values ($1)")
                .bind(change)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Applies a change other than a creation or an addition; returns how it moves the number
/// of public playlists.
async fn apply_change(
    conn: &mut PgConnection,
    id: &str,
    change: PlaylistEvent,
    event: &StoredEvent,
) -> Result<i64, ProjectionError> {
    let mut public = 0;
    match change {
        // Gathered into `Pending` by the caller.
        PlaylistEvent::PlaylistCreated { .. } | PlaylistEvent::TrackAdded { .. } => {
            return Ok(0);
        }
        PlaylistEvent::PlaylistDeleted { .. } => {
            // Nothing cascades: playlist_tracks has no foreign key (migration 0080).
            exec(
                conn,
                "delete from playlist_tracks where playlist_id = $1::uuid",
                id,
                &[],
            )
            .await?;
            let was_public: Option<bool> =
                sqlx::query_scalar("delete from playlists where id = $1::uuid returning is_public")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            return Ok(-i64::from(was_public.unwrap_or(false)));
        }
        PlaylistEvent::DetailsUpdated {
            name,
            description,
            is_public,
            ..
        } => {
            // The count follows the row's visibility before and after (the join reads the
            // row as it was), whatever the event says.
            let visibility: Option<(bool, bool)> = sqlx::query_as(
                "update playlists p
                    set name = coalesce($2, p.name),
                        description = coalesce($3, p.description),
                        is_public = coalesce($4, p.is_public)
                   from playlists before
                  where p.id = $1::uuid and before.id = p.id
                returning before.is_public, p.is_public",
            )
            .bind(id)
            .bind(name)
            .bind(description)
            .bind(is_public)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((before, after)) = visibility {
                public = i64::from(after) - i64::from(before);
            }
        }
        PlaylistEvent::TrackRemoved {
            track_id, position, ..
        } => {
            exec(
                conn,
                "delete from playlist_tracks where playlist_id = $1::uuid and track_id = $2",
                id,
                &[db_id(track_id)],
            )
            .await?;
            exec(
                conn,
                "update playlist_tracks set position = position - 1
                  where playlist_id = $1::uuid and position > $2",
                id,
                &[position as i64],
            )
            .await?;
            exec(
                conn,
                "update playlists set track_count = track_count - 1 where id = $1::uuid",
                id,
                &[],
            )
            .await?;
        }
        PlaylistEvent::TrackMoved {
            track_id, from, to, ..
        } => {
            let (from, to) = (from as i64, to as i64);
            let shift = if from < to {
                "update playlist_tracks set position = position - 1
                  where playlist_id = $1::uuid and position > $2 and position <= $3"
            } else {
                "update playlist_tracks set position = position + 1
                  where playlist_id = $1::uuid and position >= $3 and position < $2"
            };
            exec(conn, shift, id, &[from, to]).await?;
            exec(
                conn,
                "update playlist_tracks set position = $3
                  where playlist_id = $1::uuid and track_id = $2",
                id,
                &[db_id(track_id), to],
            )
            .await?;
        }
        PlaylistEvent::CoverChanged { cover, .. } => {
            sqlx::query("update playlists set cover_key = $2 where id = $1::uuid")
                .bind(id)
                .bind(cover)
                .execute(&mut *conn)
                .await?;
        }
        PlaylistEvent::PlaylistRestored { .. } => {}
    }
    // Every other change moves the version (the ETag) and the update time.
    sqlx::query("update playlists set version = $2, updated_at = $3 where id = $1::uuid")
        .bind(id)
        .bind(event.sequence)
        .bind(event.recorded_at)
        .execute(&mut *conn)
        .await?;
    Ok(public)
}
