//! Each instance keeps the aggregates its commands leave, for its next command on them. A
//! kept state another instance has moved past must never decide a command: not a write
//! (it would collide), not a refusal, not a no-op.

mod common;

use common::{TestApp, User, spawn_app};
use serde_json::{Value, json};

async fn status_of(app: &TestApp, user: &User, path: &str, body: Value) -> u16 {
    app.post(path, Some(&user.access), &body)
        .await
        .status()
        .as_u16()
}

async fn queued_tracks(app: &TestApp, user: &User) -> Vec<String> {
    let resp = app
        .get("/api/playlists/queue/tracks/", Some(&user.access))
        .await;
    assert_eq!(resp.status(), 200);
    let tracks: Value = resp.json().await.unwrap();
    tracks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["track_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn playlist_tracks(app: &TestApp, user: &User, playlist: &str) -> Vec<String> {
    let resp = app
        .get(
            &format!("/api/playlists/playlists/{playlist}/"),
            Some(&user.access),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let detail: Value = resp.json().await.unwrap();
    detail["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["track_id"].as_str().unwrap().to_owned())
        .collect()
}

const ENQUEUE: &str = "/api/playlists/queue/enqueue/";

/// Two instances on one database, a user and `n` catalog tracks.
async fn two_instances(n: usize) -> (TestApp, TestApp, User, Vec<String>) {
    let app = spawn_app().await;
    let other = app.second_instance().await;
    let alice = app.user("alice").await;
    let tracks = app.track_ids(&alice.access, n).await;
    (app, other, alice, tracks)
}

#[tokio::test]
async fn a_write_on_a_state_another_instance_moved_past_is_decided_again() {
    let (app, other, alice, tracks) = two_instances(3).await;

    for (instance, track) in [(&app, &tracks[0]), (&other, &tracks[1]), (&app, &tracks[2])] {
        let status = status_of(instance, &alice, ENQUEUE, json!({"track_id": track})).await;
        assert_eq!(status, 200);
    }
    assert_eq!(queued_tracks(&app, &alice).await, tracks);
    let events: i64 = sqlx::query_scalar(
        "select count(*) from events where aggregate_type = 'Queue' and aggregate_id = $1",
    )
    .bind(&alice.id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(events, 3, "each enqueue written once");
}

#[tokio::test]
async fn a_refusal_on_a_state_another_instance_moved_past_is_decided_again() {
    let (app, other, alice, mut tracks) = two_instances(1).await;
    let track = tracks.remove(0);
    let playlist = app.playlist(&alice.access, "Mix", false).await;
    let add = format!("/api/playlists/playlists/{playlist}/add_track/");

    assert_eq!(
        status_of(&app, &alice, &add, json!({"track_id": track})).await,
        201
    );
    let removed = other
        .delete(
            &format!("/api/playlists/playlists/{playlist}/remove_track/?track_id={track}"),
            Some(&alice.access),
        )
        .await;
    assert!(removed.status().is_success(), "{}", removed.status());
    // The state this instance kept still holds the track, and would refuse it.
    assert_eq!(
        status_of(&app, &alice, &add, json!({"track_id": track})).await,
        201
    );
    assert_eq!(
        playlist_tracks(&app, &alice, &playlist).await,
        std::slice::from_ref(&track)
    );
    // What it keeps now is the fresh state, which does hold the track.
    assert_eq!(
        status_of(&app, &alice, &add, json!({"track_id": track})).await,
        400
    );
}

#[tokio::test]
async fn a_no_op_on_a_state_another_instance_moved_past_is_decided_again() {
    let (app, other, alice, mut tracks) = two_instances(1).await;
    let track = tracks.remove(0);
    let clear = "/api/playlists/queue/clear/";

    // Clearing an empty queue writes nothing; the empty queue is kept.
    assert!(status_of(&app, &alice, clear, json!({})).await < 300);
    assert_eq!(
        status_of(&other, &alice, ENQUEUE, json!({"track_id": track})).await,
        200
    );
    assert!(status_of(&app, &alice, clear, json!({})).await < 300);
    assert!(queued_tracks(&app, &alice).await.is_empty());
    assert!(queued_tracks(&other, &alice).await.is_empty());
}

#[tokio::test]
async fn a_kept_playlist_another_instance_deleted_takes_no_track() {
    let (app, other, alice, tracks) = two_instances(2).await;
    let playlist = app.playlist(&alice.access, "Mix", false).await;
    let add = format!("/api/playlists/playlists/{playlist}/add_track/");
    assert_eq!(
        status_of(&app, &alice, &add, json!({"track_id": tracks[0]})).await,
        201
    );

    let deleted = other
        .delete(
            &format!("/api/playlists/playlists/{playlist}/"),
            Some(&alice.access),
        )
        .await;
    assert!(deleted.status().is_success(), "{}", deleted.status());
    // This instance still keeps the playlist as alice's own, live one.
    assert_eq!(
        status_of(&app, &alice, &add, json!({"track_id": tracks[1]})).await,
        404
    );
    let added: i64 = sqlx::query_scalar(
        "select count(*) from events
          where aggregate_type = 'Playlist' and aggregate_id = $1 and event_type = 'TrackAdded'",
    )
    .bind(&playlist)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(added, 1);
}
