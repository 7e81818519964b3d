//! The playlist's value objects, each built only by `parse`.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::InvalidValue;

/// The most characters a playlist name may have, after trimming.
pub const MAX_NAME_CHARS: usize = 100;
/// The most characters a playlist description may have.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

fn has_control_chars(raw: &str, allow_line_breaks: bool) -> bool {
    raw.chars()
        .any(|c| c.is_control() && !(allow_line_breaks && matches!(c, '\n' | '\r' | '\t')))
}

/// A playlist's name: 1 to 100 characters once trimmed, on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaylistName(String);

impl PlaylistName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let name = raw.trim();
        let len = name.chars().count();
        if len == 0 {
            return Err(InvalidValue::new("name", "must not be empty"));
        }
        if len > MAX_NAME_CHARS {
            return Err(InvalidValue::new(
                "name",
                format!("must be at most {MAX_NAME_CHARS} characters long"),
            ));
        }
        if has_control_chars(name, false) {
            return Err(InvalidValue::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A playlist's description: at most 1000 characters (trimmed), line breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let description = raw.trim();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(InvalidValue::new(
                "description",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters long"),
            ));
        }
        if has_control_chars(description, true) {
            return Err(InvalidValue::new(
                "description",
                "must not contain control characters",
            ));
        }
        Ok(Self(description.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One occurrence of a track in a list (a playlist's tracks, a user's favorites). The
/// caller makes it up, so commands, and therefore aggregate tests, stay deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(Uuid);

impl EntryId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn uuid(self) -> Uuid {
        self.0
    }
}

impl Default for EntryId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PlaylistName::parse("  Road trip 🚗 ").unwrap().as_str(),
            "Road trip 🚗"
        );
        assert!(PlaylistName::parse(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        for bad in [
            "",
            "   ",
            &"x".repeat(MAX_NAME_CHARS + 1),
            "two\nlines",
            "nul\0",
        ] {
            assert_eq!(
                PlaylistName::parse(bad).unwrap_err().field,
                "name",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn descriptions_are_bounded_and_may_span_lines() {
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert!(Description::parse("Line one\nLine two").is_ok());
        assert!(Description::parse(&"x".repeat(MAX_DESCRIPTION_CHARS)).is_ok());
        for bad in [&"x".repeat(MAX_DESCRIPTION_CHARS + 1), "bell\u{7}"] {
            assert_eq!(Description::parse(bad).unwrap_err().field, "description");
        }
    }
}
