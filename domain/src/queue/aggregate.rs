use std::{collections::HashMap, sync::Arc};

use cqrs_es::{Aggregate, event_sink::EventSink};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    commands::{PlaySource, QueueCommand},
    error::QueueError,
    events::QueueEvent,
    shuffle::shuffle,
};
use crate::{TrackSnapshot, track};

/// The most entries a queue holds; keeps every queue command's cost bounded.
pub const MAX_ENTRIES: usize = 1000;
/// Radio mode trims the queue once this many entries lie behind the current one...
const TRIM_AT: usize = 200;
/// ...keeping this many for `previous`.
const KEEP_BEHIND: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub entry_id: Uuid,
    /// Shared, so that queues in memory can hold one copy of each track (see `share_tracks`).
    pub track: Arc<TrackSnapshot>,
}

impl QueueEntry {
    pub fn new(entry_id: Uuid, track: TrackSnapshot) -> Self {
        Self {
            entry_id,
            track: Arc::new(track),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    entries: Vec<QueueEntry>,
    current: Option<usize>,
    radio: bool,
}

impl Queue {
    pub fn entries(&self) -> &[QueueEntry] {
        &self.entries
    }

    pub fn current(&self) -> Option<usize> {
        self.current
    }

    pub fn is_radio(&self) -> bool {
        self.radio
    }

    /// Swaps each track for the copy `shared` returns when that copy is equal, so that many
    /// queues held in memory hold one copy of each track.
    pub fn share_tracks(
        &mut self,
        mut shared: impl FnMut(&Arc<TrackSnapshot>) -> Arc<TrackSnapshot>,
    ) {
        for entry in &mut self.entries {
            track::share(&mut entry.track, &mut shared);
        }
    }

    /// True when `next` would need radio tracks.
    pub fn at_end(&self) -> bool {
        self.current.is_none_or(|c| c + 1 >= self.entries.len())
    }

    fn check_position(&self, position: usize) -> Result<(), QueueError> {
        if position >= self.entries.len() {
            return Err(QueueError::PositionOutOfRange {
                position,
                len: self.entries.len(),
            });
        }
        Ok(())
    }

    /// The events that make `position` current and record the play.
    async fn play_at(&mut self, position: usize, sink: &EventSink<Self>) {
        sink.write(QueueEvent::PlaybackMoved { position }, self)
            .await;
        let entry = self.entries[position].clone();
        sink.write(
            QueueEvent::TrackPlayed {
                play_id: Uuid::now_v7(),
                entry_id: entry.entry_id,
                track: Arc::unwrap_or_clone(entry.track),
            },
            self,
        )
        .await;
        if position >= TRIM_AT {
            sink.write(
                QueueEvent::QueueTrimmed {
                    removed: position - KEEP_BEHIND,
                },
                self,
            )
            .await;
        }
    }

    async fn play(
        &mut self,
        mut tracks: Vec<TrackSnapshot>,
        start: usize,
        shuffle_seed: Option<u64>,
        source: PlaySource,
        sink: &EventSink<Self>,
    ) -> Result<(), QueueError> {
        if tracks.is_empty() {
            return Err(QueueError::NoTracks);
        }
        if start >= tracks.len() {
            return Err(QueueError::PositionOutOfRange {
                position: start,
                len: tracks.len(),
            });
        }
        let mut chosen = tracks.split_off(start);
        chosen.truncate(MAX_ENTRIES);
        if let Some(seed) = shuffle_seed {
            shuffle(&mut chosen[1..], seed);
        }
        let entries = chosen
            .into_iter()
            .map(|track| QueueEntry::new(Uuid::now_v7(), track))
            .collect();
        sink.write(QueueEvent::QueueReplaced { entries, source }, self)
            .await;
        self.play_at(0, sink).await;
        Ok(())
    }
}

impl Aggregate for Queue {
    const TYPE: &'static str = "Queue";
    type Command = QueueCommand;
    type Event = QueueEvent;
    type Error = QueueError;
    type Services = ();

    async fn handle(
        &mut self,
        command: QueueCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), QueueError> {
        match command {
            QueueCommand::Play {
                tracks,
                start,
                shuffle_seed,
                source,
            } => self.play(tracks, start, shuffle_seed, source, sink).await?,
            QueueCommand::Enqueue { entry_id, track } => {
                if self.entries.len() >= MAX_ENTRIES {
                    return Err(QueueError::Full { max: MAX_ENTRIES });
                }
                let position = self.entries.len();
                let entry = QueueEntry::new(entry_id, track);
                sink.write(QueueEvent::TrackEnqueued { entry, position }, self)
                    .await;
            }
            QueueCommand::Next { radio } => {
                let next = self.current.map_or(0, |c| c + 1);
                if next < self.entries.len() {
                    self.play_at(next, sink).await;
                } else {
                    if radio.is_empty() {
                        return Err(QueueError::Empty);
                    }
                    let room = MAX_ENTRIES.saturating_sub(self.entries.len()).max(1);
                    let entries = radio
                        .into_iter()
                        .take(room)
                        .map(|track| QueueEntry::new(Uuid::now_v7(), track))
                        .collect();
                    sink.write(QueueEvent::RadioTracksAppended { entries }, self)
                        .await;
                    self.play_at(next.min(self.entries.len() - 1), sink).await;
                }
            }
            QueueCommand::Previous => {
                if self.entries.is_empty() {
                    return Err(QueueError::Empty);
                }
                let previous = self.current.map_or(0, |c| c.saturating_sub(1));
                self.play_at(previous, sink).await;
            }
            QueueCommand::JumpTo { position } => {
                self.check_position(position)?;
                self.play_at(position, sink).await;
            }
            QueueCommand::Select { position, track_id } => {
                let position = match (position, track_id) {
                    (Some(p), Some(track_id)) => {
                        self.check_position(p)?;
                        if self.entries[p].track.track_id != track_id {
                            return Err(QueueError::TrackMismatch {
                                position: p,
                                track_id: track_id.to_string(),
                            });
                        }
                        p
                    }
                    (Some(p), None) => {
                        self.check_position(p)?;
                        p
                    }
                    (None, Some(track_id)) => self
                        .entries
                        .iter()
                        .position(|e| e.track.track_id == track_id)
                        .ok_or_else(|| QueueError::TrackNotInQueue(track_id.to_string()))?,
                    (None, None) => return Ok(()),
                };
                self.play_at(position, sink).await;
            }
            QueueCommand::Stream { entry_id, track } => {
                let after = self.current.map_or(0, |c| c + 1);
                let found = self.entries[after.min(self.entries.len())..]
                    .iter()
                    .position(|e| e.track.track_id == track.track_id)
                    .map(|p| p + after)
                    .or_else(|| {
                        self.entries
                            .iter()
                            .position(|e| e.track.track_id == track.track_id)
                    });
                let position = match found {
                    Some(p) => p,
                    None => {
                        if self.entries.len() >= MAX_ENTRIES {
                            return Err(QueueError::Full { max: MAX_ENTRIES });
                        }
                        let position = after.min(self.entries.len());
                        let entry = QueueEntry::new(entry_id, track);
                        sink.write(QueueEvent::TrackEnqueued { entry, position }, self)
                            .await;
                        position
                    }
                };
                self.play_at(position, sink).await;
            }
            QueueCommand::Shuffle { seed } => {
                if self.entries.is_empty() {
                    return Err(QueueError::Empty);
                }
                let after = self.current.map_or(0, |c| c + 1);
                let mut order: Vec<Uuid> =
                    self.entries[after..].iter().map(|e| e.entry_id).collect();
                shuffle(&mut order, seed);
                sink.write(QueueEvent::QueueShuffled { order }, self).await;
            }
            QueueCommand::Clear => {
                if !self.entries.is_empty() || self.current.is_some() {
                    sink.write(QueueEvent::QueueCleared, self).await;
                }
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: QueueEvent) {
        match event {
            QueueEvent::QueueReplaced { entries, source } => {
                self.entries = entries;
                self.current = None;
                self.radio = matches!(source, PlaySource::Radio { .. });
            }
            QueueEvent::TrackEnqueued { entry, position } => {
                let position = position.min(self.entries.len());
                self.entries.insert(position, entry);
                if let Some(c) = self.current
                    && position <= c
                {
                    self.current = Some(c + 1);
                }
            }
            QueueEvent::RadioTracksAppended { entries } => {
                self.entries.extend(entries);
                self.radio = true;
            }
            QueueEvent::QueueTrimmed { removed } => {
                let removed = removed.min(self.entries.len());
                self.entries.drain(..removed);
                self.current = self.current.map(|c| c.saturating_sub(removed));
            }
            QueueEvent::PlaybackMoved { position } => self.current = Some(position),
            QueueEvent::TrackPlayed { .. } => {}
            QueueEvent::QueueShuffled { order } => {
                let after = self.current.map_or(0, |c| c + 1).min(self.entries.len());
                let rank: HashMap<Uuid, usize> = order.into_iter().zip(0..).collect();
                // Entries the order does not name keep their place after those it does.
                self.entries[after..]
                    .sort_by_key(|e| rank.get(&e.entry_id).copied().unwrap_or(usize::MAX));
            }
            QueueEvent::QueueCleared => {
                self.entries.clear();
                self.current = None;
                self.radio = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::{CatalogId, PlaylistId};

    fn track(id: u64) -> TrackSnapshot {
        TrackSnapshot {
            track_id: CatalogId::new(id).unwrap(),
            title: format!("Track {id}"),
            artist_id: CatalogId::new(1).unwrap(),
            artist_name: "Artist".into(),
            album_id: None,
            album_title: "Album".into(),
            album_cover: String::new(),
            duration: 30,
        }
    }

    fn entry(id: u64) -> QueueEntry {
        QueueEntry::new(Uuid::now_v7(), track(id))
    }

    fn replaced(ids: &[u64]) -> QueueEvent {
        QueueEvent::QueueReplaced {
            entries: ids.iter().map(|&i| entry(i)).collect(),
            source: PlaySource::Playlist {
                playlist_id: PlaylistId::new(),
            },
        }
    }

    fn events_for(given: Vec<QueueEvent>, command: QueueCommand) -> Vec<QueueEvent> {
        TestFramework::<Queue>::with(())
            .given(given)
            .when(command)
            .inspect_result()
            .expect("command accepted")
    }

    fn error_for(given: Vec<QueueEvent>, command: QueueCommand) -> QueueError {
        TestFramework::<Queue>::with(())
            .given(given)
            .when(command)
            .inspect_result()
            .expect_err("command refused")
    }

    fn state(events: Vec<QueueEvent>) -> Queue {
        let mut queue = Queue::default();
        for e in events {
            queue.apply(e);
        }
        queue
    }

    fn track_ids(queue: &Queue) -> Vec<u64> {
        queue
            .entries()
            .iter()
            .map(|e| e.track.track_id.get())
            .collect()
    }

    fn played(events: &[QueueEvent]) -> Vec<u64> {
        events
            .iter()
            .filter_map(|e| match e {
                QueueEvent::TrackPlayed { track, .. } => Some(track.track_id.get()),
                _ => None,
            })
            .collect()
    }

    fn play(ids: &[u64], start: usize, shuffle_seed: Option<u64>) -> QueueCommand {
        QueueCommand::Play {
            tracks: ids.iter().map(|&i| track(i)).collect(),
            start,
            shuffle_seed,
            source: PlaySource::Playlist {
                playlist_id: PlaylistId::new(),
            },
        }
    }

    #[test]
    fn playing_a_playlist_from_a_position_queues_it_from_there_and_plays_that_track() {
        let events = events_for(vec![], play(&[1, 2, 3, 4], 1, None));
        assert_eq!(played(&events), vec![2]);
        let queue = state(events);
        assert_eq!(track_ids(&queue), vec![2, 3, 4]);
        assert_eq!(queue.current(), Some(0));
        assert!(!queue.is_radio());
    }

    #[test]
    fn shuffled_play_keeps_the_chosen_track_first() {
        let ids: Vec<u64> = (1..=30).collect();
        let queue = state(events_for(vec![], play(&ids, 4, Some(99))));
        let order = track_ids(&queue);
        assert_eq!(order[0], 5);
        assert_ne!(order, (5..=30).collect::<Vec<_>>());
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (5..=30).collect::<Vec<_>>());
    }

    #[test]
    fn playing_nothing_or_past_the_end_is_refused() {
        assert_eq!(error_for(vec![], play(&[], 0, None)), QueueError::NoTracks);
        assert!(matches!(
            error_for(vec![], play(&[1], 3, None)),
            QueueError::PositionOutOfRange {
                position: 3,
                len: 1
            }
        ));
    }

    #[test]
    fn enqueue_appends_without_changing_the_current_track() {
        let given = vec![replaced(&[1, 2]), QueueEvent::PlaybackMoved { position: 0 }];
        let events = events_for(
            given.clone(),
            QueueCommand::Enqueue {
                entry_id: Uuid::now_v7(),
                track: track(9),
            },
        );
        assert!(played(&events).is_empty());
        let queue = state([given, events].concat());
        assert_eq!(track_ids(&queue), vec![1, 2, 9]);
        assert_eq!(queue.current(), Some(0));
    }

    #[test]
    fn a_full_queue_refuses_more() {
        let ids: Vec<u64> = (1..=MAX_ENTRIES as u64).collect();
        let err = error_for(
            vec![replaced(&ids)],
            QueueCommand::Enqueue {
                entry_id: Uuid::now_v7(),
                track: track(5000),
            },
        );
        assert_eq!(err, QueueError::Full { max: MAX_ENTRIES });
    }

    #[test]
    fn next_moves_along_and_records_the_play() {
        let given = vec![replaced(&[1, 2]), QueueEvent::PlaybackMoved { position: 0 }];
        let events = events_for(
            given.clone(),
            QueueCommand::Next {
                radio: vec![track(7)],
            },
        );
        assert_eq!(played(&events), vec![2]);
        assert!(
            !state([given, events].concat()).is_radio(),
            "radio tracks are not used before the end"
        );
    }

    #[test]
    fn next_at_the_end_turns_into_radio() {
        let given = vec![replaced(&[1]), QueueEvent::PlaybackMoved { position: 0 }];
        let events = events_for(
            given.clone(),
            QueueCommand::Next {
                radio: vec![track(7), track(8)],
            },
        );
        assert_eq!(played(&events), vec![7]);
        let queue = state([given, events].concat());
        assert_eq!(track_ids(&queue), vec![1, 7, 8]);
        assert_eq!(queue.current(), Some(1));
        assert!(queue.is_radio());
    }

    #[test]
    fn next_on_an_empty_queue_without_radio_tracks_is_refused() {
        assert_eq!(
            error_for(vec![], QueueCommand::Next { radio: vec![] }),
            QueueError::Empty
        );
    }

    #[test]
    fn next_after_enqueueing_into_a_fresh_queue_plays_the_first_entry() {
        let given = vec![QueueEvent::TrackEnqueued {
            entry: entry(4),
            position: 0,
        }];
        assert_eq!(
            played(&events_for(given, QueueCommand::Next { radio: vec![] })),
            vec![4]
        );
    }

    #[test]
    fn previous_at_the_start_stays_on_the_first_track() {
        let given = vec![replaced(&[1, 2]), QueueEvent::PlaybackMoved { position: 0 }];
        assert_eq!(played(&events_for(given, QueueCommand::Previous)), vec![1]);
        assert_eq!(error_for(vec![], QueueCommand::Previous), QueueError::Empty);
    }

    #[test]
    fn jumping_checks_the_range() {
        let given = vec![replaced(&[1, 2, 3])];
        assert_eq!(
            played(&events_for(
                given.clone(),
                QueueCommand::JumpTo { position: 2 }
            )),
            vec![3]
        );
        assert!(matches!(
            error_for(given, QueueCommand::JumpTo { position: 3 }),
            QueueError::PositionOutOfRange {
                position: 3,
                len: 3
            }
        ));
    }

    #[test]
    fn select_by_track_or_position_must_agree() {
        let given = vec![replaced(&[1, 2, 3])];
        let by_track = QueueCommand::Select {
            position: None,
            track_id: Some(CatalogId::new(3).unwrap()),
        };
        assert_eq!(played(&events_for(given.clone(), by_track)), vec![3]);
        let mismatch = QueueCommand::Select {
            position: Some(0),
            track_id: Some(CatalogId::new(3).unwrap()),
        };
        assert!(matches!(
            error_for(given.clone(), mismatch),
            QueueError::TrackMismatch { .. }
        ));
        let absent = QueueCommand::Select {
            position: None,
            track_id: Some(CatalogId::new(9).unwrap()),
        };
        assert!(matches!(
            error_for(given, absent),
            QueueError::TrackNotInQueue(_)
        ));
    }

    #[test]
    fn streaming_a_queued_track_jumps_to_it_and_an_absent_one_is_inserted_next() {
        let given = vec![
            replaced(&[1, 2, 3]),
            QueueEvent::PlaybackMoved { position: 0 },
        ];
        let events = events_for(
            given.clone(),
            QueueCommand::Stream {
                entry_id: Uuid::now_v7(),
                track: track(3),
            },
        );
        assert_eq!(played(&events), vec![3]);
        assert_eq!(state([given.clone(), events].concat()).current(), Some(2));

        let events = events_for(
            given.clone(),
            QueueCommand::Stream {
                entry_id: Uuid::now_v7(),
                track: track(9),
            },
        );
        let queue = state([given, events].concat());
        assert_eq!(track_ids(&queue), vec![1, 9, 2, 3]);
        assert_eq!(queue.current(), Some(1));
    }

    #[test]
    fn shuffle_only_moves_tracks_after_the_current_one() {
        let ids: Vec<u64> = (1..=20).collect();
        let given = vec![replaced(&ids), QueueEvent::PlaybackMoved { position: 4 }];
        let events = events_for(given.clone(), QueueCommand::Shuffle { seed: 3 });
        let queue = state([given, events].concat());
        let order = track_ids(&queue);
        assert_eq!(&order[..5], &[1, 2, 3, 4, 5]);
        assert_ne!(&order[5..], &(6..=20).collect::<Vec<_>>()[..]);
        assert_eq!(queue.current(), Some(4));
    }

    #[test]
    fn clearing_empties_the_queue_once() {
        let events = events_for(vec![replaced(&[1])], QueueCommand::Clear);
        assert_eq!(events, vec![QueueEvent::QueueCleared]);
        assert!(events_for(vec![], QueueCommand::Clear).is_empty());
    }

    #[test]
    fn endless_radio_keeps_the_queue_bounded() {
        let mut history = vec![replaced(&[1]), QueueEvent::PlaybackMoved { position: 0 }];
        for round in 0..600u64 {
            let radio = vec![track(10_000 + round)];
            let events = events_for(history.clone(), QueueCommand::Next { radio });
            history.extend(events);
        }
        let queue = state(history);
        assert!(
            queue.entries().len() <= TRIM_AT + 1,
            "{} entries",
            queue.entries().len()
        );
        assert_eq!(
            queue.entries()[queue.current().unwrap()]
                .track
                .track_id
                .get(),
            10_599
        );
    }
}
