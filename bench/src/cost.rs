//! What a request costs the machine: the CPU time PlayPod, PostgreSQL and the load
//! generator spent on it, and the WAL PostgreSQL wrote for it. The three share the
//! machine's cores, so their sum bounds throughput, and the split says where a request is
//! to be made cheaper.

use sqlx::PgPool;

/// Command names as /proc has them.
const PLAYPOD: &str = "playpod";
const POSTGRES: &str = "postgres";

/// Per request, over one measured run.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub playpod_us: f64,
    pub postgres_us: f64,
    pub load_generator_us: f64,
    pub wal_bytes: f64,
}

/// Readings taken before a run, to be subtracted from those after it.
pub struct Meter {
    start: Reading,
}

#[derive(Clone, Copy)]
struct Reading {
    playpod: u64,
    postgres: u64,
    load_generator: u64,
    wal: i64,
}

impl Meter {
    pub async fn start(pool: &PgPool) -> crate::Result<Self> {
        Ok(Self {
            start: Reading::now(pool).await?,
        })
    }

    pub async fn stop(self, pool: &PgPool, requests: u64) -> crate::Result<Cost> {
        let end = Reading::now(pool).await?;
        let per_request = requests.max(1) as f64;
        let tick_us = 1e6 / clock_ticks_per_second() as f64;
        let cpu = |start: u64, end: u64| end.saturating_sub(start) as f64 * tick_us / per_request;
        Ok(Cost {
            playpod_us: cpu(self.start.playpod, end.playpod),
            postgres_us: cpu(self.start.postgres, end.postgres),
            load_generator_us: cpu(self.start.load_generator, end.load_generator),
            wal_bytes: (end.wal - self.start.wal) as f64 / per_request,
        })
    }
}

impl Reading {
    async fn now(pool: &PgPool) -> crate::Result<Self> {
        let wal = sqlx::query_scalar("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
            .fetch_one(pool)
            .await?;
        let processes = processes();
        let ticks = |name: &str| {
            processes
                .iter()
                .filter(|(comm, _)| comm == name)
                .map(|(_, ticks)| ticks.own + ticks.children)
                .sum()
        };
        // wrk and pgbench are children of this process, reaped when they end.
        let this = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|stat| parse_stat(&stat));
        Ok(Self {
            playpod: ticks(PLAYPOD),
            postgres: ticks(POSTGRES),
            load_generator: this.map_or(0, |(_, ticks)| ticks.children),
            wal,
        })
    }
}

/// CPU time in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ticks {
    own: u64,
    /// Of the children it reaped: a PostgreSQL backend that exits during a run (pgbench's
    /// do at its end) leaves its time to the postmaster.
    children: u64,
}

/// Every process's command name and CPU ticks.
fn processes() -> Vec<(String, Ticks)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| parse_stat(&stat))
        .collect()
}

/// `pid (comm) state ...`: utime, stime, cutime and cstime are fields 14 to 17. The name
/// may hold spaces and parentheses, so the fields start after the last `)`.
fn parse_stat(stat: &str) -> Option<(String, Ticks)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let ticks = Ticks {
        own: field(14)? + field(15)?,
        children: field(16)? + field(17)?,
    };
    Some((comm, ticks))
}

fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::{Ticks, parse_stat};

    #[test]
    fn reads_the_name_and_the_four_time_fields() {
        let stat = "4242 (wrk (x) 2) S 1 4242 4242 0 -1 4194304 100 0 0 0 \
                    700 50 3 4 20 0 3 0 123 456 789";
        let ticks = Ticks {
            own: 750,
            children: 7,
        };
        assert_eq!(parse_stat(stat), Some(("wrk (x) 2".to_owned(), ticks)));
    }

    #[test]
    fn a_truncated_line_is_skipped() {
        assert_eq!(parse_stat("4242 (postgres) S 1 2 3"), None);
    }

    #[test]
    fn this_process_is_found() {
        let me = std::fs::read_to_string("/proc/self/stat").unwrap();
        let (comm, _) = parse_stat(&me).unwrap();
        assert!(!comm.is_empty());
    }
}
