-- The playlists projector is the only writer of playlist_tracks and deletes a playlist's
-- tracks itself (verify replays into copies without foreign keys, so it cannot rely on the
-- cascade). The key only added a lookup of the playlist, with a row lock on it, to every
-- track the projector inserted: a fifth of a playlists rebuild (BENCHMARKS.md).
alter table playlist_tracks drop constraint playlist_tracks_playlist_id_fkey;
