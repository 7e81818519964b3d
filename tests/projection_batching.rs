//! Projectors fold a batch of events into a few statements; the rows they build must not
//! depend on where the batches are cut. Every kind of event is written through the real
//! command buses, then each read model is replayed one event at a time, in small batches
//! and in one batch, and compared with what the live projector built.

mod common;

use common::TestApp;
use domain::{
    CatalogId, PlaylistId, TrackSnapshot, UserId,
    library::LibraryCommand,
    playlist::{Description, EntryId, NewEntry, PlaylistAction, PlaylistCommand, PlaylistName},
    queue::{PlaySource, QueueCommand},
};
use playpod::playlists::time_travel::{self, Until};
use projections::taste::TasteProjection;
use uuid::Uuid;

/// Tracks of two artists, so taste scores of one artist gather many signals.
fn track(id: u64) -> TrackSnapshot {
    TrackSnapshot {
        track_id: CatalogId::new(id).unwrap(),
        title: format!("Track {id}"),
        artist_id: CatalogId::new(27 + id % 2).unwrap(),
        // What COPY's text format must escape, for the rebuild that writes with it.
        artist_name: format!("Artist\t{}\\\n", 27 + id % 2),
        album_id: CatalogId::new(300 + id % 3).ok(),
        album_title: "Album".into(),
        album_cover: String::new(),
        duration: 200,
    }
}

fn entry(id: u64) -> NewEntry {
    NewEntry {
        entry_id: EntryId::new(),
        track: track(id),
    }
}

async fn playlist(app: &TestApp, id: &str, actor: Uuid, action: PlaylistAction) {
    let command = PlaylistCommand {
        actor: UserId::from_uuid(actor),
        expected_version: None,
        action,
    };
    app.state
        .playlists
        .execute(id, command, actor)
        .await
        .unwrap();
}

async fn build_and_edit_playlists(app: &TestApp, alice: Uuid, bob: Uuid) {
    for (owner, first) in [(alice, 1), (bob, 40)] {
        let id = PlaylistId::new();
        let key = id.to_string();
        let create = PlaylistAction::Create {
            playlist_id: id,
            name: PlaylistName::parse("Mix").unwrap(),
            description: Description::parse("").unwrap(),
            is_public: true,
            tracks: (first..first + 3).map(entry).collect(),
        };
        playlist(app, &key, owner, create).await;
        let add = PlaylistAction::AddTrack {
            entry: entry(first + 3),
        };
        playlist(app, &key, owner, add).await;
        let entries = (first + 4..first + 8).map(entry).collect();
        playlist(app, &key, owner, PlaylistAction::AddTracks { entries }).await;
        let track_id = CatalogId::new(first + 1).unwrap();
        let position = 5;
        playlist(
            app,
            &key,
            owner,
            PlaylistAction::MoveTrack { track_id, position },
        )
        .await;
        let track_id = CatalogId::new(first + 2).unwrap();
        playlist(app, &key, owner, PlaylistAction::RemoveTrack { track_id }).await;
        let details = PlaylistAction::UpdateDetails {
            name: Some(PlaylistName::parse("Renamed").unwrap()),
            description: None,
            is_public: Some(false),
        };
        playlist(app, &key, owner, details).await;
        let cover = PlaylistAction::SetCover {
            cover: "covers/a.png".into(),
        };
        playlist(app, &key, owner, cover).await;
        let add = PlaylistAction::AddTrack {
            entry: entry(first + 2),
        };
        playlist(app, &key, owner, add).await;
        // Back to the four first tracks: the restore removes, re-adds and moves tracks
        // in the middle of the list.
        let events = time_travel::events(&app.state.pool, id).await.unwrap();
        let target = time_travel::fold(&events, Until::Version(5))
            .unwrap()
            .playlist
            .contents()
            .unwrap();
        let restore = PlaylistAction::Restore { version: 5, target };
        playlist(app, &key, owner, restore).await;
        if owner == bob {
            playlist(app, &key, owner, PlaylistAction::Delete).await;
        }
    }
}

async fn favorite(app: &TestApp, user: Uuid, command: LibraryCommand) {
    let id = user.to_string();
    app.state.library.execute(&id, command, user).await.unwrap();
}

async fn like_and_unlike(app: &TestApp, user: Uuid) {
    for id in [1, 2, 3] {
        let add = LibraryCommand::AddFavorite {
            entry_id: EntryId::new(),
            track: track(id),
        };
        favorite(app, user, add).await;
    }
    let track_id = CatalogId::new(2).unwrap();
    favorite(app, user, LibraryCommand::RemoveFavorite { track_id }).await;
    let add = LibraryCommand::AddFavorite {
        entry_id: EntryId::new(),
        track: track(2),
    };
    favorite(app, user, add).await;
}

/// A taste made and taken back whole: its artist and album rows go again.
async fn like_once_and_change_their_mind(app: &TestApp, user: Uuid) {
    let add = LibraryCommand::AddFavorite {
        entry_id: EntryId::new(),
        track: track(5),
    };
    favorite(app, user, add).await;
    let track_id = CatalogId::new(5).unwrap();
    favorite(app, user, LibraryCommand::RemoveFavorite { track_id }).await;
}

async fn listen(app: &TestApp, user: Uuid) {
    let run = |command: QueueCommand| async move {
        app.state
            .queue
            .execute(&user.to_string(), command, user)
            .await
            .unwrap();
    };
    let play = QueueCommand::Play {
        tracks: (1..=5).map(track).collect(),
        start: 1,
        shuffle_seed: None,
        source: PlaySource::Radio {
            seed_track: CatalogId::new(1).unwrap(),
        },
    };
    run(play).await;
    run(QueueCommand::Next { radio: vec![] }).await;
    run(QueueCommand::Enqueue {
        entry_id: Uuid::now_v7(),
        track: track(9),
    })
    .await;
    run(QueueCommand::Previous).await;
    // Inserted after the current entry, moving the rest down.
    run(QueueCommand::Stream {
        entry_id: Uuid::now_v7(),
        track: track(11),
    })
    .await;
    run(QueueCommand::JumpTo { position: 0 }).await;
    run(QueueCommand::Shuffle { seed: 7 }).await;
    for _ in 0..7 {
        run(QueueCommand::Next {
            radio: vec![track(20), track(21)],
        })
        .await;
    }
    run(QueueCommand::Clear).await;
    run(QueueCommand::Enqueue {
        entry_id: Uuid::now_v7(),
        track: track(3),
    })
    .await;
    run(QueueCommand::Enqueue {
        entry_id: Uuid::now_v7(),
        track: track(4),
    })
    .await;
    // Several moves and no other change between them, last of all.
    run(QueueCommand::JumpTo { position: 1 }).await;
    run(QueueCommand::Previous).await;
}

/// `verify`'s checksum of a table without rows.
const EMPTY_TABLE: &str = "d41d8cd98f00b204e9800998ecf8427e";

#[tokio::test]
async fn read_models_are_the_same_however_their_events_are_batched() {
    let app = common::spawn_app().await;
    let (alice, bob, carol) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    build_and_edit_playlists(&app, alice, bob).await;
    like_and_unlike(&app, alice).await;
    like_once_and_change_their_mind(&app, carol).await;
    // Together, so that one batch holds both listeners' events interleaved.
    tokio::join!(listen(&app, alice), listen(&app, bob));
    app.state.projections.catch_up().await.unwrap();

    for projection in app.state.projections.projections() {
        for batch in [1, 2, 3, 1000] {
            let verification =
                projections::verify::verify_in_batches(&app.state.pool, projection.as_ref(), batch)
                    .await
                    .unwrap();
            assert!(
                verification.events > 0,
                "{} saw no events",
                projection.name()
            );
            assert!(
                verification.matches(),
                "{} in batches of {batch} differs from live: {verification:?}",
                projection.name()
            );
            // Two empty tables always match: every table must be part of the scenario.
            for table in &verification.tables {
                assert_ne!(
                    table.live, EMPTY_TABLE,
                    "the events leave {} empty",
                    table.table
                );
            }
        }
        // A full rebuild (in memory for some read models) must come to the same rows.
        let live = projections::verify::verify(&app.state.pool, projection.as_ref())
            .await
            .unwrap();
        app.state
            .projections
            .rebuild(projection.as_ref())
            .await
            .unwrap();
        let rebuilt = projections::verify::verify(&app.state.pool, projection.as_ref())
            .await
            .unwrap();
        assert_eq!(
            rebuilt.tables,
            live.tables,
            "{} rebuilt differs from what was applied batch by batch",
            projection.name()
        );
    }
    // A taste rebuild whose fold fills up part way writes it and goes on through `apply`.
    let live = projections::verify::verify(&app.state.pool, &TasteProjection::default())
        .await
        .unwrap();
    for budget in [0, 3, 10, 30] {
        let taste = TasteProjection::folding_at_most(budget);
        let engine = &app.state.projections;
        let applied = engine
            .rebuild_in_batches(&taste, 4, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(applied, live.events);
        let rebuilt = projections::verify::verify(&app.state.pool, &taste)
            .await
            .unwrap();
        assert_eq!(rebuilt.tables, live.tables, "budget {budget}");
    }
}
