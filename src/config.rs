//! Typed settings, read once from the environment (and `.env` when present).

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use rand::RngCore;

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// For S3-compatible stores such as MinIO.
    pub endpoint: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: Secret,
    pub secret_key: Secret,
    /// `None` lets any Host header through.
    pub allowed_hosts: Option<Vec<String>>,
    pub cors_origins: Vec<String>,
    /// `None` selects the bundled offline catalog.
    pub deezer_base_url: Option<String>,
    pub deezer_requests_per_window: u32,
    /// Time limit of each request to Deezer.
    pub deezer_timeout: Duration,
    pub media_dir: PathBuf,
    pub s3: Option<S3Settings>,
    pub max_upload_bytes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("could not keep the generated SECRET_KEY in {path}: {source}")]
    SecretFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/playpod";
const GENERATED_SECRET_FILE: &str = ".playpod/secret_key";

impl Settings {
    /// Reads the settings from the process environment, after loading `.env` if present.
    pub fn from_env() -> Result<Self, SettingsError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let bind = parse_or(&get, "PLAYPOD_BIND", "127.0.0.1:8000")?;
        let secret_key = match get("SECRET_KEY") {
            Some(key) => Secret::new(key),
            None => generated_secret_key()?,
        };
        let allowed_hosts = get("ALLOWED_HOSTS")
            .map(|hosts| split_list(&hosts))
            .filter(|hosts| !hosts.iter().any(|h| h == "*"));
        let s3 = match get("AWS_STORAGE_BUCKET_NAME") {
            None => None,
            Some(bucket) => Some(S3Settings {
                bucket,
                region: get("AWS_S3_REGION_NAME").unwrap_or_else(|| "us-east-1".into()),
                access_key_id: require(&get, "AWS_ACCESS_KEY_ID")?,
                secret_access_key: Secret::new(require(&get, "AWS_SECRET_ACCESS_KEY")?),
                endpoint: get("AWS_ENDPOINT_URL"),
            }),
        };
        Ok(Self {
            bind,
            database_url: Secret::new(
                get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            ),
            secret_key,
            allowed_hosts,
            cors_origins: get("PLAYPOD_CORS_ORIGINS")
                .map(|o| split_list(&o))
                .unwrap_or_default(),
            deezer_base_url: get("DEEZER_BASE_URL").map(|u| u.trim_end_matches('/').to_owned()),
            deezer_requests_per_window: parse_or(&get, "PLAYPOD_DEEZER_RATE_LIMIT", "50")?,
            deezer_timeout: Duration::from_millis(parse_or(
                &get,
                "PLAYPOD_DEEZER_TIMEOUT_MS",
                "10000",
            )?),
            media_dir: get("PLAYPOD_MEDIA_DIR")
                .unwrap_or_else(|| "media".into())
                .into(),
            s3,
            max_upload_bytes: parse_or(&get, "PLAYPOD_MAX_UPLOAD_BYTES", "5242880")?,
        })
    }
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn require(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, SettingsError> {
    get(name).ok_or(SettingsError::Invalid {
        name,
        reason: "required when AWS_STORAGE_BUCKET_NAME is set".into(),
    })
}

fn parse_or<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<T, SettingsError>
where
    T::Err: fmt::Display,
{
    get(name)
        .unwrap_or_else(|| default.into())
        .trim()
        .parse()
        .map_err(|e: T::Err| SettingsError::Invalid {
            name,
            reason: e.to_string(),
        })
}

/// Development convenience: without SECRET_KEY, tokens are signed with a random key kept
/// on disk, so restarts do not log everybody out. Production sets SECRET_KEY.
fn generated_secret_key() -> Result<Secret, SettingsError> {
    let path = PathBuf::from(GENERATED_SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path)
        && existing.trim().len() >= 32
    {
        tracing::warn!(path = %path.display(), "SECRET_KEY is not set; using the generated key");
        return Ok(Secret::new(existing.trim()));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &key)
    };
    write().map_err(|source| SettingsError::SecretFile {
        path: path.clone(),
        source,
    })?;
    tracing::warn!(path = %path.display(), "SECRET_KEY is not set; generated a random one");
    Ok(Secret::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_local_and_offline() {
        let s = settings(&[("SECRET_KEY", "k".repeat(40).as_str())]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8000");
        assert!(s.deezer_base_url.is_none());
        assert!(s.s3.is_none());
        assert!(s.allowed_hosts.is_none());
        assert_eq!(s.max_upload_bytes, 5 * 1024 * 1024);
    }

    #[test]
    fn a_bucket_without_keys_is_refused() {
        let err = settings(&[("SECRET_KEY", "x"), ("AWS_STORAGE_BUCKET_NAME", "b")]).unwrap_err();
        assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"));
    }

    #[test]
    fn lists_and_numbers_are_parsed() {
        let s = settings(&[
            ("SECRET_KEY", "x"),
            ("ALLOWED_HOSTS", "a.example, b.example"),
            ("PLAYPOD_BIND", "0.0.0.0:9000"),
            ("DEEZER_BASE_URL", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(s.allowed_hosts.unwrap(), vec!["a.example", "b.example"]);
        assert_eq!(s.bind.port(), 9000);
        assert_eq!(s.deezer_base_url.unwrap(), "http://127.0.0.1:9");
        assert_eq!(s.deezer_timeout, Duration::from_secs(10));
        assert!(settings(&[("SECRET_KEY", "x"), ("PLAYPOD_BIND", "nope")]).is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }
}
