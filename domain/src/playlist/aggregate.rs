use std::{collections::HashSet, sync::Arc};

use cqrs_es::{Aggregate, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use super::{
    commands::{NewEntry, PlaylistAction, PlaylistCommand, PlaylistContents},
    error::PlaylistError,
    events::PlaylistEvent,
    values::EntryId,
};
use crate::{CatalogId, PlaylistId, TrackSnapshot, UserId, track};

/// The most tracks a playlist holds; keeps every command's cost bounded.
pub const MAX_TRACKS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylistDetails {
    pub id: PlaylistId,
    pub owner: UserId,
    pub name: String,
    pub description: String,
    pub is_public: bool,
    pub cover: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylistEntry {
    pub entry_id: EntryId,
    /// Shared, so that playlists in memory can hold one copy of each track (see
    /// `share_tracks`).
    pub track: Arc<TrackSnapshot>,
    /// The version whose event added it, so a rebuilt playlist can tell when.
    pub added_in_version: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Playlist {
    /// The number of events applied: what `If-Match` compares with.
    version: u64,
    /// None until created.
    details: Option<PlaylistDetails>,
    tracks: Vec<PlaylistEntry>,
    deleted: bool,
}

impl Playlist {
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn details(&self) -> Option<&PlaylistDetails> {
        self.details.as_ref()
    }

    pub fn tracks(&self) -> &[PlaylistEntry] {
        &self.tracks
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// Whether `actor` may change the playlist.
    pub fn is_owned_by(&self, actor: UserId) -> bool {
        self.authorize(actor).is_ok()
    }

    /// Swaps each track for the copy `shared` returns when that copy is equal, so that many
    /// playlists held in memory hold one copy of each track.
    pub fn share_tracks(
        &mut self,
        mut shared: impl FnMut(&Arc<TrackSnapshot>) -> Arc<TrackSnapshot>,
    ) {
        for entry in &mut self.tracks {
            track::share(&mut entry.track, &mut shared);
        }
    }

    /// What a restore to this state brings back; None before creation.
    pub fn contents(&self) -> Option<PlaylistContents> {
        self.details.as_ref().map(|d| PlaylistContents {
            name: d.name.clone(),
            description: d.description.clone(),
            is_public: d.is_public,
            cover: d.cover.clone(),
            tracks: self
                .tracks
                .iter()
                .map(|e| NewEntry {
                    entry_id: e.entry_id,
                    track: TrackSnapshot::clone(&e.track),
                })
                .collect(),
        })
    }

    fn position_of(&self, track_id: CatalogId) -> Option<usize> {
        self.tracks
            .iter()
            .position(|e| e.track.track_id == track_id)
    }

    /// Only the owner changes a playlist; to anyone else a private one does not exist.
    fn authorize(&self, actor: UserId) -> Result<(), PlaylistError> {
        match &self.details {
            Some(d) if !self.deleted && d.owner == actor => Ok(()),
            Some(d) if !self.deleted && d.is_public => Err(PlaylistError::NotOwner),
            _ => Err(PlaylistError::NotFound),
        }
    }

    fn check_version(&self, expected: Option<u64>) -> Result<(), PlaylistError> {
        match expected {
            Some(expected) if expected != self.version => Err(PlaylistError::VersionMismatch {
                expected,
                current: self.version,
            }),
            _ => Ok(()),
        }
    }

    /// Appends the entries whose track is not there yet, in order.
    async fn append(
        &mut self,
        by: UserId,
        entries: Vec<NewEntry>,
        sink: &EventSink<Self>,
    ) -> Result<(), PlaylistError> {
        let mut seen: HashSet<CatalogId> = self.tracks.iter().map(|e| e.track.track_id).collect();
        let fresh: Vec<NewEntry> = entries
            .into_iter()
            .filter(|e| seen.insert(e.track.track_id))
            .collect();
        if self.tracks.len() + fresh.len() > MAX_TRACKS {
            return Err(PlaylistError::Full { max: MAX_TRACKS });
        }
        for NewEntry { entry_id, track } in fresh {
            let position = self.tracks.len();
            sink.write(
                PlaylistEvent::TrackAdded {
                    by,
                    entry_id,
                    track,
                    position,
                },
                self,
            )
            .await;
        }
        Ok(())
    }

    async fn update_details(
        &mut self,
        by: UserId,
        name: Option<String>,
        description: Option<String>,
        is_public: Option<bool>,
        sink: &EventSink<Self>,
    ) {
        let Some(current) = &self.details else {
            return;
        };
        let name = name.filter(|n| *n != current.name);
        let description = description.filter(|d| *d != current.description);
        let is_public = is_public.filter(|p| *p != current.is_public);
        if name.is_some() || description.is_some() || is_public.is_some() {
            let event = PlaylistEvent::DetailsUpdated {
                by,
                name,
                description,
                is_public,
            };
            sink.write(event, self).await;
        }
    }

    async fn remove(
        &mut self,
        by: UserId,
        track_id: CatalogId,
        sink: &EventSink<Self>,
    ) -> Result<(), PlaylistError> {
        let position = self
            .position_of(track_id)
            .ok_or(PlaylistError::TrackNotInPlaylist(track_id))?;
        let event = PlaylistEvent::TrackRemoved {
            by,
            track_id,
            position,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn move_track(
        &mut self,
        by: UserId,
        track_id: CatalogId,
        to: usize,
        sink: &EventSink<Self>,
    ) -> Result<(), PlaylistError> {
        let from = self
            .position_of(track_id)
            .ok_or(PlaylistError::TrackNotInPlaylist(track_id))?;
        if to >= self.tracks.len() {
            return Err(PlaylistError::PositionOutOfRange {
                position: to,
                len: self.tracks.len(),
            });
        }
        if from != to {
            let event = PlaylistEvent::TrackMoved {
                by,
                track_id,
                from,
                to,
            };
            sink.write(event, self).await;
        }
        Ok(())
    }

    async fn set_cover(&mut self, by: UserId, cover: Option<String>, sink: &EventSink<Self>) {
        if self.details.as_ref().is_some_and(|d| d.cover != cover) {
            sink.write(PlaylistEvent::CoverChanged { by, cover }, self)
                .await;
        }
    }

    /// Ordinary events that turn the current state into `target`: details and cover,
    /// then removals, additions, and moves into the target order.
    async fn restore(
        &mut self,
        by: UserId,
        version: u64,
        target: PlaylistContents,
        sink: &EventSink<Self>,
    ) -> Result<(), PlaylistError> {
        if version == 0 || version > self.version {
            return Err(PlaylistError::NoSuchVersion {
                version,
                current: self.version,
            });
        }
        let to_version = version;
        sink.write(PlaylistEvent::PlaylistRestored { by, to_version }, self)
            .await;
        let PlaylistContents {
            name,
            description,
            is_public,
            cover,
            mut tracks,
        } = target;
        self.update_details(by, Some(name), Some(description), Some(is_public), sink)
            .await;
        self.set_cover(by, cover, sink).await;
        let mut wanted = HashSet::new();
        tracks.retain(|e| wanted.insert(e.track.track_id));
        let unwanted: Vec<CatalogId> = self
            .tracks
            .iter()
            .map(|e| e.track.track_id)
            .filter(|id| !wanted.contains(id))
            .collect();
        for track_id in unwanted {
            self.remove(by, track_id, sink).await?;
        }
        let order: Vec<CatalogId> = tracks.iter().map(|e| e.track.track_id).collect();
        self.append(by, tracks, sink).await?;
        for (position, track_id) in order.into_iter().enumerate() {
            self.move_track(by, track_id, position, sink).await?;
        }
        Ok(())
    }
}

impl Aggregate for Playlist {
    const TYPE: &'static str = "Playlist";
    type Command = PlaylistCommand;
    type Event = PlaylistEvent;
    type Error = PlaylistError;
    type Services = ();

    async fn handle(
        &mut self,
        command: PlaylistCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), PlaylistError> {
        let PlaylistCommand {
            actor: by,
            expected_version,
            action,
        } = command;
        if matches!(action, PlaylistAction::Create { .. }) {
            if self.details.is_some() {
                return Err(PlaylistError::AlreadyExists);
            }
        } else {
            self.authorize(by)?;
        }
        self.check_version(expected_version)?;
        match action {
            PlaylistAction::Create {
                playlist_id,
                name,
                description,
                is_public,
                tracks,
            } => {
                let event = PlaylistEvent::PlaylistCreated {
                    playlist_id,
                    owner: by,
                    name: name.as_str().to_owned(),
                    description: description.as_str().to_owned(),
                    is_public,
                };
                sink.write(event, self).await;
                self.append(by, tracks, sink).await?;
            }
            PlaylistAction::UpdateDetails {
                name,
                description,
                is_public,
            } => {
                let name = name.map(|n| n.as_str().to_owned());
                let description = description.map(|d| d.as_str().to_owned());
                self.update_details(by, name, description, is_public, sink)
                    .await;
            }
            PlaylistAction::AddTrack { entry } => {
                let track_id = entry.track.track_id;
                if self.position_of(track_id).is_some() {
                    return Err(PlaylistError::TrackAlreadyAdded(track_id));
                }
                self.append(by, vec![entry], sink).await?;
            }
            PlaylistAction::AddTracks { entries } => {
                if entries.is_empty() {
                    return Err(PlaylistError::NoTracks);
                }
                self.append(by, entries, sink).await?;
            }
            PlaylistAction::RemoveTrack { track_id } => self.remove(by, track_id, sink).await?,
            PlaylistAction::MoveTrack { track_id, position } => {
                self.move_track(by, track_id, position, sink).await?;
            }
            PlaylistAction::SetCover { cover } => self.set_cover(by, Some(cover), sink).await,
            PlaylistAction::Restore { version, target } => {
                self.restore(by, version, target, sink).await?;
            }
            PlaylistAction::Delete => {
                sink.write(PlaylistEvent::PlaylistDeleted { by }, self)
                    .await
            }
        }
        Ok(())
    }

    /// Never fails: positions come from `handle`, and tracks are found by id.
    fn apply(&mut self, event: PlaylistEvent) {
        self.version += 1;
        match event {
            PlaylistEvent::PlaylistCreated {
                playlist_id,
                owner,
                name,
                description,
                is_public,
            } => {
                self.details = Some(PlaylistDetails {
                    id: playlist_id,
                    owner,
                    name,
                    description,
                    is_public,
                    cover: None,
                });
            }
            PlaylistEvent::DetailsUpdated {
                name,
                description,
                is_public,
                ..
            } => {
                if let Some(d) = self.details.as_mut() {
                    d.name = name.unwrap_or_else(|| std::mem::take(&mut d.name));
                    d.description =
                        description.unwrap_or_else(|| std::mem::take(&mut d.description));
                    d.is_public = is_public.unwrap_or(d.is_public);
                }
            }
            PlaylistEvent::TrackAdded {
                entry_id,
                track,
                position,
                ..
            } => {
                let entry = PlaylistEntry {
                    entry_id,
                    track: Arc::new(track),
                    added_in_version: self.version,
                };
                self.tracks.insert(position.min(self.tracks.len()), entry);
            }
            PlaylistEvent::TrackRemoved { track_id, .. } => {
                self.tracks.retain(|e| e.track.track_id != track_id);
            }
            PlaylistEvent::TrackMoved { track_id, to, .. } => {
                if let Some(from) = self.position_of(track_id) {
                    let entry = self.tracks.remove(from);
                    self.tracks.insert(to.min(self.tracks.len()), entry);
                }
            }
            PlaylistEvent::CoverChanged { cover, .. } => {
                if let Some(d) = self.details.as_mut() {
                    d.cover = cover;
                }
            }
            PlaylistEvent::PlaylistRestored { .. } => {}
            PlaylistEvent::PlaylistDeleted { .. } => self.deleted = true,
        }
    }
}
