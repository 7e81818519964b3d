//! Throttles failed logins per account and per client address (fixed windows in memory;
//! each instance of a fleet counts its own).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct LoginLimiter {
    window: Duration,
    per_account: u32,
    per_address: u32,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(Duration::from_secs(15 * 60), 5, 20)
    }
}

impl LoginLimiter {
    pub fn new(window: Duration, per_account: u32, per_address: u32) -> Self {
        Self {
            window,
            per_account,
            per_address,
            failures: Mutex::default(),
        }
    }

    /// `Err(seconds)` when either key is over its limit.
    pub fn check(&self, account: &str, address: &str) -> Result<(), u64> {
        let now = Instant::now();
        let map = self.failures.lock().expect("limiter lock");
        let blocked = |key: String, limit: u32| -> Option<u64> {
            let (start, count) = map.get(&key)?;
            let elapsed = now.duration_since(*start);
            (elapsed < self.window && *count >= limit)
                .then(|| (self.window - elapsed).as_secs().max(1))
        };
        match blocked(account_key(account), self.per_account)
            .or_else(|| blocked(address_key(address), self.per_address))
        {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, account: &str, address: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("limiter lock");
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        for key in [account_key(account), address_key(address)] {
            let entry = map.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    pub fn record_success(&self, account: &str) {
        self.failures
            .lock()
            .expect("limiter lock")
            .remove(&account_key(account));
    }
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_an_account_after_its_limit_and_success_resets_it() {
        let limiter = LoginLimiter::new(Duration::from_secs(60), 3, 100);
        for _ in 0..3 {
            assert!(limiter.check("a@x.io", "1.1.1.1").is_ok());
            limiter.record_failure("A@x.io", "1.1.1.1");
        }
        let wait = limiter.check("a@x.io", "2.2.2.2").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check("b@x.io", "1.1.1.1").is_ok());
        limiter.record_success("a@x.io");
        assert!(limiter.check("a@x.io", "1.1.1.1").is_ok());
    }

    #[test]
    fn blocks_an_address_trying_many_accounts() {
        let limiter = LoginLimiter::new(Duration::from_secs(60), 100, 2);
        limiter.record_failure("a@x.io", "9.9.9.9");
        limiter.record_failure("b@x.io", "9.9.9.9");
        assert!(limiter.check("c@x.io", "9.9.9.9").is_err());
        assert!(limiter.check("c@x.io", "8.8.8.8").is_ok());
    }

    #[test]
    fn windows_expire() {
        let limiter = LoginLimiter::new(Duration::from_millis(0), 1, 1);
        limiter.record_failure("a@x.io", "1.1.1.1");
        assert!(limiter.check("a@x.io", "1.1.1.1").is_ok());
    }
}
