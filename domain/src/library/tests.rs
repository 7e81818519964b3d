//! One test per rule of the library aggregate.

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::{CatalogId, TrackSnapshot, playlist::EntryId};

fn id(n: u64) -> CatalogId {
    CatalogId::new(n).unwrap()
}

fn track(n: u64) -> TrackSnapshot {
    TrackSnapshot {
        track_id: id(n),
        title: format!("Track {n}"),
        artist_id: id(500),
        artist_name: "Artist".into(),
        album_id: None,
        album_title: "Album".into(),
        album_cover: String::new(),
        duration: 200,
    }
}

fn entry_id(n: u64) -> EntryId {
    EntryId::from_uuid(Uuid::from_u128(u128::from(n)))
}

fn added(n: u64) -> LibraryEvent {
    LibraryEvent::FavoriteAdded {
        entry_id: entry_id(n),
        track: track(n),
    }
}

fn add(n: u64) -> LibraryCommand {
    LibraryCommand::AddFavorite {
        entry_id: entry_id(n),
        track: track(n),
    }
}

#[test]
fn adding_a_favorite_records_its_metadata() {
    TestFramework::<Library>::with(())
        .given_no_previous_events()
        .when(add(1))
        .then_expect_events(vec![added(1)]);
}

#[test]
fn adding_a_favorite_twice_is_refused_naming_the_track() {
    TestFramework::<Library>::with(())
        .given(vec![added(1)])
        .when(add(1))
        .then_expect_error_message("track 1 is already in your favorites");
}

#[test]
fn a_removed_favorite_can_be_added_again() {
    TestFramework::<Library>::with(())
        .given(vec![
            added(1),
            LibraryEvent::FavoriteRemoved { track_id: id(1) },
        ])
        .when(add(1))
        .then_expect_events(vec![added(1)]);
}

#[test]
fn removing_a_favorite_records_it() {
    TestFramework::<Library>::with(())
        .given(vec![added(1), added(2)])
        .when(LibraryCommand::RemoveFavorite { track_id: id(2) })
        .then_expect_events(vec![LibraryEvent::FavoriteRemoved { track_id: id(2) }]);
}

#[test]
fn removing_a_track_that_is_not_a_favorite_is_refused() {
    TestFramework::<Library>::with(())
        .given(vec![added(1)])
        .when(LibraryCommand::RemoveFavorite { track_id: id(2) })
        .then_expect_error(LibraryError::NotFavorite(id(2)));
}

#[test]
fn a_full_library_refuses_more() {
    let given = (1..=MAX_FAVORITES as u64).map(added).collect();
    TestFramework::<Library>::with(())
        .given(given)
        .when(add(MAX_FAVORITES as u64 + 1))
        .then_expect_error(LibraryError::Full { max: MAX_FAVORITES });
}
