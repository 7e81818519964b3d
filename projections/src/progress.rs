//! How far each projection has applied, as committed by this instance's projector: lets a
//! command wait for its own events by watching memory instead of polling the database.

use std::{collections::HashMap, sync::Arc};

use sqlx::PgExecutor;
use tokio::sync::watch;

/// A place in the global order; the derived order is that order (transaction, then
/// position). Transaction ids are 64-bit and far below `i64::MAX`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct Checkpoint {
    pub tx_id: i64,
    pub position: i64,
}

/// The global-order columns of `events` or `projection_checkpoints`, as a `Checkpoint`.
pub const CHECKPOINT_COLUMNS: &str = "tx_id::text::bigint as tx_id, position";

/// Committed checkpoints by projection name; they only ever move forward.
#[derive(Clone)]
pub(crate) struct Progress {
    checkpoints: Arc<watch::Sender<HashMap<&'static str, Checkpoint>>>,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Self {
            checkpoints: Arc::new(watch::Sender::new(HashMap::new())),
        }
    }

    /// Records a committed checkpoint, waking the waiters when it moves one forward.
    pub(crate) fn advance(&self, name: &'static str, to: Checkpoint) {
        self.checkpoints.send_if_modified(|checkpoints| {
            let at = checkpoints.entry(name).or_default();
            let moved = to > *at;
            if moved {
                *at = to;
            }
            moved
        });
    }

    /// Takes in what the database says: another instance may have led until now.
    pub(crate) async fn load<'e>(
        &self,
        conn: impl PgExecutor<'e>,
        names: &[&'static str],
    ) -> Result<(), sqlx::Error> {
        let stored: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
            "select name, {CHECKPOINT_COLUMNS} from projection_checkpoints"
        ))
        .fetch_all(conn)
        .await?;
        for (name, tx_id, position) in stored {
            if let Some(name) = names.iter().find(|n| **n == name) {
                self.advance(name, Checkpoint { tx_id, position });
            }
        }
        Ok(())
    }

    /// True once every named projection has applied `target`.
    pub(crate) fn reached(&self, names: &[&str], target: Checkpoint) -> bool {
        let checkpoints = self.checkpoints.borrow();
        names
            .iter()
            .all(|name| checkpoints.get(name).is_some_and(|at| *at >= target))
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<HashMap<&'static str, Checkpoint>> {
        self.checkpoints.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::{Checkpoint, Progress};

    const fn at(tx_id: i64, position: i64) -> Checkpoint {
        Checkpoint { tx_id, position }
    }

    #[test]
    fn the_global_order_is_transaction_first() {
        assert!(at(5, 100) < at(6, 1));
        assert!(at(6, 1) < at(6, 2));
    }

    #[test]
    fn a_target_is_reached_when_every_named_projection_passed_it() {
        let progress = Progress::new();
        progress.advance("queue", at(7, 3));
        assert!(!progress.reached(&["queue", "taste"], at(7, 3)));
        progress.advance("taste", at(8, 1));
        assert!(progress.reached(&["queue", "taste"], at(7, 3)));
        assert!(!progress.reached(&["queue"], at(7, 4)));
    }

    #[test]
    fn checkpoints_never_move_back() {
        let progress = Progress::new();
        let mut seen = progress.subscribe();
        progress.advance("queue", at(9, 9));
        assert!(seen.has_changed().unwrap());
        seen.mark_unchanged();
        progress.advance("queue", at(9, 2));
        assert!(!seen.has_changed().unwrap());
        assert!(progress.reached(&["queue"], at(9, 9)));
    }
}
