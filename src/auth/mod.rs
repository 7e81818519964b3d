//! Authentication: password hashing, JWTs, refresh-token rotation and login throttling.

pub mod jwt;
pub mod limiter;
pub mod password;
pub mod session_cache;
pub mod sessions;

pub use jwt::{Claims, JwtKeys, TokenKind};
pub use limiter::LoginLimiter;
