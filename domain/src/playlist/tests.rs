//! One test per rule of the playlist aggregate.

use cqrs_es::{Aggregate, test::TestFramework};
use uuid::Uuid;

use super::*;
use crate::{CatalogId, PlaylistId, TrackSnapshot, UserId};

fn owner() -> UserId {
    UserId::from_uuid(Uuid::from_u128(1))
}

fn stranger() -> UserId {
    UserId::from_uuid(Uuid::from_u128(2))
}

fn playlist_id() -> PlaylistId {
    PlaylistId::from_uuid(Uuid::from_u128(10))
}

fn id(n: u64) -> CatalogId {
    CatalogId::new(n).unwrap()
}

fn track(n: u64) -> TrackSnapshot {
    TrackSnapshot {
        track_id: id(n),
        title: format!("Track {n}"),
        artist_id: id(500),
        artist_name: "Artist".into(),
        album_id: Some(id(600)),
        album_title: "Album".into(),
        album_cover: "https://covers.example/600.jpg".into(),
        duration: 180,
    }
}

fn entry(n: u64) -> NewEntry {
    NewEntry {
        entry_id: EntryId::from_uuid(Uuid::from_u128(1000 + u128::from(n))),
        track: track(n),
    }
}

fn created(is_public: bool) -> PlaylistEvent {
    PlaylistEvent::PlaylistCreated {
        playlist_id: playlist_id(),
        owner: owner(),
        name: "Mix".into(),
        description: String::new(),
        is_public,
    }
}

fn added(n: u64, position: usize) -> PlaylistEvent {
    let NewEntry { entry_id, track } = entry(n);
    PlaylistEvent::TrackAdded {
        by: owner(),
        entry_id,
        track,
        position,
    }
}

/// A private playlist holding the given tracks in order.
fn with_tracks(ids: &[u64]) -> Vec<PlaylistEvent> {
    let mut events = vec![created(false)];
    events.extend(ids.iter().enumerate().map(|(i, &n)| added(n, i)));
    events
}

fn by(actor: UserId, action: PlaylistAction) -> PlaylistCommand {
    PlaylistCommand {
        actor,
        expected_version: None,
        action,
    }
}

fn create(tracks: Vec<NewEntry>) -> PlaylistCommand {
    by(
        owner(),
        PlaylistAction::Create {
            playlist_id: playlist_id(),
            name: PlaylistName::parse("Mix").unwrap(),
            description: Description::default(),
            is_public: false,
            tracks,
        },
    )
}

fn events_for(given: Vec<PlaylistEvent>, command: PlaylistCommand) -> Vec<PlaylistEvent> {
    TestFramework::<Playlist>::with(())
        .given(given)
        .when(command)
        .inspect_result()
        .expect("command accepted")
}

fn error_for(given: Vec<PlaylistEvent>, command: PlaylistCommand) -> PlaylistError {
    TestFramework::<Playlist>::with(())
        .given(given)
        .when(command)
        .inspect_result()
        .expect_err("command refused")
}

fn state(events: Vec<PlaylistEvent>) -> Playlist {
    let mut playlist = Playlist::default();
    for e in events {
        playlist.apply(e);
    }
    playlist
}

fn track_ids(playlist: &Playlist) -> Vec<u64> {
    playlist
        .tracks()
        .iter()
        .map(|e| e.track.track_id.get())
        .collect()
}

#[test]
fn creating_records_the_owner_and_details() {
    TestFramework::<Playlist>::with(())
        .given_no_previous_events()
        .when(create(vec![]))
        .then_expect_events(vec![created(false)]);
}

#[test]
fn creating_with_tracks_adds_them_in_order_once_each() {
    TestFramework::<Playlist>::with(())
        .given_no_previous_events()
        .when(create(vec![entry(3), entry(1), entry(3)]))
        .then_expect_events(vec![created(false), added(3, 0), added(1, 1)]);
}

#[test]
fn creating_an_existing_playlist_is_refused() {
    TestFramework::<Playlist>::with(())
        .given(vec![created(true)])
        .when(create(vec![]))
        .then_expect_error(PlaylistError::AlreadyExists);
}

#[test]
fn changing_a_playlist_that_was_never_created_answers_not_found() {
    TestFramework::<Playlist>::with(())
        .given_no_previous_events()
        .when(by(owner(), PlaylistAction::Delete))
        .then_expect_error(PlaylistError::NotFound);
}

#[test]
fn another_users_private_playlist_does_not_exist_for_them() {
    TestFramework::<Playlist>::with(())
        .given(vec![created(false)])
        .when(by(stranger(), PlaylistAction::AddTrack { entry: entry(1) }))
        .then_expect_error(PlaylistError::NotFound);
}

#[test]
fn another_users_public_playlist_is_not_theirs_to_change() {
    TestFramework::<Playlist>::with(())
        .given(vec![created(true)])
        .when(by(stranger(), PlaylistAction::AddTrack { entry: entry(1) }))
        .then_expect_error(PlaylistError::NotOwner);
}

#[test]
fn a_deleted_playlist_is_gone_even_for_its_owner() {
    TestFramework::<Playlist>::with(())
        .given(vec![
            created(true),
            PlaylistEvent::PlaylistDeleted { by: owner() },
        ])
        .when(by(owner(), PlaylistAction::AddTrack { entry: entry(1) }))
        .then_expect_error(PlaylistError::NotFound);
}

#[test]
fn only_the_owner_of_a_live_playlist_owns_it() {
    let mut playlist = Playlist::default();
    assert!(!playlist.is_owned_by(owner()), "not created yet");
    playlist.apply(created(true));
    assert!(playlist.is_owned_by(owner()));
    assert!(!playlist.is_owned_by(stranger()));
    playlist.apply(PlaylistEvent::PlaylistDeleted { by: owner() });
    assert!(!playlist.is_owned_by(owner()), "deleted");
}

#[test]
fn a_stale_expected_version_is_refused_and_the_current_one_accepted() {
    let given = with_tracks(&[1, 2]);
    let mut command = by(owner(), PlaylistAction::AddTrack { entry: entry(3) });
    command.expected_version = Some(2);
    assert_eq!(
        error_for(given.clone(), command.clone()),
        PlaylistError::VersionMismatch {
            expected: 2,
            current: 3
        }
    );
    command.expected_version = Some(3);
    assert_eq!(events_for(given, command), vec![added(3, 2)]);
}

#[test]
fn adding_a_track_appends_it_with_its_metadata() {
    TestFramework::<Playlist>::with(())
        .given(with_tracks(&[1]))
        .when(by(owner(), PlaylistAction::AddTrack { entry: entry(2) }))
        .then_expect_events(vec![added(2, 1)]);
}

#[test]
fn adding_a_track_already_there_is_refused_naming_it() {
    TestFramework::<Playlist>::with(())
        .given(with_tracks(&[1, 2]))
        .when(by(owner(), PlaylistAction::AddTrack { entry: entry(2) }))
        .then_expect_error_message("track 2 is already in the playlist");
}

#[test]
fn adding_many_tracks_skips_those_already_there() {
    let entries = vec![entry(2), entry(3), entry(1), entry(3)];
    TestFramework::<Playlist>::with(())
        .given(with_tracks(&[1]))
        .when(by(owner(), PlaylistAction::AddTracks { entries }))
        .then_expect_events(vec![added(2, 1), added(3, 2)]);
}

#[test]
fn adding_no_tracks_is_refused() {
    let entries = vec![];
    TestFramework::<Playlist>::with(())
        .given(with_tracks(&[]))
        .when(by(owner(), PlaylistAction::AddTracks { entries }))
        .then_expect_error(PlaylistError::NoTracks);
}

#[test]
fn a_full_playlist_refuses_more_tracks() {
    let ids: Vec<u64> = (1..=MAX_TRACKS as u64).collect();
    let entries = vec![entry(MAX_TRACKS as u64), entry(MAX_TRACKS as u64 + 1)];
    TestFramework::<Playlist>::with(())
        .given(with_tracks(&ids))
        .when(by(owner(), PlaylistAction::AddTracks { entries }))
        .then_expect_error(PlaylistError::Full { max: MAX_TRACKS });
}

#[test]
fn removing_a_track_records_where_it_was_and_closes_the_gap() {
    let given = with_tracks(&[1, 2, 3]);
    let command = by(owner(), PlaylistAction::RemoveTrack { track_id: id(2) });
    let events = events_for(given.clone(), command);
    assert_eq!(
        events,
        vec![PlaylistEvent::TrackRemoved {
            by: owner(),
            track_id: id(2),
            position: 1
        }]
    );
    assert_eq!(track_ids(&state([given, events].concat())), vec![1, 3]);
}

#[test]
fn removing_or_moving_a_track_not_there_is_refused() {
    let remove = by(owner(), PlaylistAction::RemoveTrack { track_id: id(9) });
    assert_eq!(
        error_for(with_tracks(&[1]), remove),
        PlaylistError::TrackNotInPlaylist(id(9))
    );
    let move_it = PlaylistAction::MoveTrack {
        track_id: id(9),
        position: 0,
    };
    assert_eq!(
        error_for(with_tracks(&[1]), by(owner(), move_it)),
        PlaylistError::TrackNotInPlaylist(id(9))
    );
}

#[test]
fn moving_a_track_shifts_the_ones_in_between() {
    let given = with_tracks(&[1, 2, 3, 4]);
    let action = PlaylistAction::MoveTrack {
        track_id: id(4),
        position: 1,
    };
    let events = events_for(given.clone(), by(owner(), action));
    assert_eq!(
        events,
        vec![PlaylistEvent::TrackMoved {
            by: owner(),
            track_id: id(4),
            from: 3,
            to: 1
        }]
    );
    assert_eq!(
        track_ids(&state([given, events].concat())),
        vec![1, 4, 2, 3]
    );
}

#[test]
fn moving_a_track_past_the_end_is_refused_and_to_its_place_does_nothing() {
    let past_end = PlaylistAction::MoveTrack {
        track_id: id(1),
        position: 2,
    };
    assert_eq!(
        error_for(with_tracks(&[1, 2]), by(owner(), past_end)),
        PlaylistError::PositionOutOfRange {
            position: 2,
            len: 2
        }
    );
    let in_place = PlaylistAction::MoveTrack {
        track_id: id(2),
        position: 1,
    };
    assert!(events_for(with_tracks(&[1, 2]), by(owner(), in_place)).is_empty());
}

#[test]
fn updating_details_records_only_what_changed() {
    let action = PlaylistAction::UpdateDetails {
        name: Some(PlaylistName::parse("Mix").unwrap()),
        description: Some(Description::parse("For the road").unwrap()),
        is_public: Some(false),
    };
    TestFramework::<Playlist>::with(())
        .given(vec![created(false)])
        .when(by(owner(), action))
        .then_expect_events(vec![PlaylistEvent::DetailsUpdated {
            by: owner(),
            name: None,
            description: Some("For the road".into()),
            is_public: None,
        }]);
}

#[test]
fn an_update_that_changes_nothing_records_nothing() {
    let action = PlaylistAction::UpdateDetails {
        name: Some(PlaylistName::parse("Mix").unwrap()),
        description: None,
        is_public: Some(true),
    };
    TestFramework::<Playlist>::with(())
        .given(vec![created(true)])
        .when(by(owner(), action))
        .then_expect_events(vec![]);
}

#[test]
fn setting_the_cover_records_its_key() {
    let cover = "covers/abc.png".to_owned();
    TestFramework::<Playlist>::with(())
        .given(vec![created(false)])
        .when(by(owner(), PlaylistAction::SetCover { cover }))
        .then_expect_events(vec![PlaylistEvent::CoverChanged {
            by: owner(),
            cover: Some("covers/abc.png".into()),
        }]);
}

#[test]
fn deleting_records_who_deleted() {
    TestFramework::<Playlist>::with(())
        .given(vec![created(false)])
        .when(by(owner(), PlaylistAction::Delete))
        .then_expect_events(vec![PlaylistEvent::PlaylistDeleted { by: owner() }]);
}

#[test]
fn restoring_appends_events_that_bring_back_the_old_state() {
    let mut history = with_tracks(&[1, 2, 3]);
    let at_version_4 = state(history.clone());
    history.extend([
        PlaylistEvent::DetailsUpdated {
            by: owner(),
            name: Some("Renamed".into()),
            description: None,
            is_public: Some(true),
        },
        PlaylistEvent::CoverChanged {
            by: owner(),
            cover: Some("covers/new.png".into()),
        },
        PlaylistEvent::TrackRemoved {
            by: owner(),
            track_id: id(1),
            position: 0,
        },
        added(4, 2),
        PlaylistEvent::TrackMoved {
            by: owner(),
            track_id: id(3),
            from: 1,
            to: 0,
        },
    ]);
    let action = PlaylistAction::Restore {
        version: 4,
        target: at_version_4.contents().unwrap(),
    };
    let events = events_for(history.clone(), by(owner(), action));
    assert_eq!(
        events[0],
        PlaylistEvent::PlaylistRestored {
            by: owner(),
            to_version: 4
        }
    );
    let restored = state([history, events].concat());
    assert_eq!(restored.contents(), at_version_4.contents());
    assert_eq!(restored.version(), 9 + 1 + 6);
}

#[test]
fn restoring_to_a_version_that_never_was_is_refused() {
    for version in [0, 4] {
        let action = PlaylistAction::Restore {
            version,
            target: state(with_tracks(&[])).contents().unwrap(),
        };
        assert_eq!(
            error_for(with_tracks(&[1, 2]), by(owner(), action)),
            PlaylistError::NoSuchVersion {
                version,
                current: 3
            }
        );
    }
}

#[test]
fn the_version_counts_events_and_entries_remember_theirs() {
    let playlist = state(with_tracks(&[7, 8]));
    assert_eq!(playlist.version(), 3);
    let versions: Vec<u64> = playlist
        .tracks()
        .iter()
        .map(|e| e.added_in_version)
        .collect();
    assert_eq!(versions, vec![2, 3]);
}
