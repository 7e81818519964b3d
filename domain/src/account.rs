//! Account values, each built only by `parse` so the rest of the code never sees
//! unchecked input.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct AccountError {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError {
        field,
        message: message.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// 3 to 32 characters of ASCII letters, digits, `_`, `.` and `-`.
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err(invalid("username", "must be 3 to 32 characters long"));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(invalid(
                "username",
                "may contain only letters, digits, '_', '.' and '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// A pragmatic check: one `@`, a non-empty local part, a dotted domain, no spaces,
    /// at most 254 characters. Stored lower-cased so lookups ignore case.
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let email = raw.trim();
        let bad = || invalid("email", "must be a valid email address");
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = email.split_once('@').ok_or_else(bad)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain
                .split('.')
                .all(|part| !part.is_empty() && !part.starts_with('-') && !part.ends_with('-'));
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(bad());
        }
        Ok(Self(email.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, checked but never stored in this form.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    /// At least 8 characters, at most 256, and not the username or the email.
    pub fn parse(raw: &str, username: &Username, email: &Email) -> Result<Self, AccountError> {
        let len = raw.chars().count();
        if len < 8 {
            return Err(invalid("password", "must be at least 8 characters long"));
        }
        if len > 256 {
            return Err(invalid("password", "must be at most 256 characters long"));
        }
        let lowered = raw.to_lowercase();
        if lowered == username.as_str().to_lowercase() || lowered == email.as_str() {
            return Err(invalid(
                "password",
                "must differ from the username and the email",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A profile biography: at most 1000 characters, control characters other than line
/// breaks and tabs refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        if raw.chars().count() > 1000 {
            return Err(invalid("bio", "must be at most 1000 characters long"));
        }
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(invalid("bio", "must not contain control characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("ada_l.ove-1").is_ok());
        for bad in [
            "ab",
            &"a".repeat(33),
            "with space",
            "émile",
            "semi;colon",
            "<b>",
        ] {
            assert_eq!(Username::parse(bad).unwrap_err().field, "username", "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@@b.com",
            "a@-x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        let user = Username::parse("ada_lovelace").unwrap();
        let email = Email::parse("ada@example.com").unwrap();
        assert!(NewPassword::parse("correct horse", &user, &email).is_ok());
        assert!(NewPassword::parse("short", &user, &email).is_err());
        assert!(NewPassword::parse("ADA_LOVELACE", &user, &email).is_err());
        assert!(NewPassword::parse("ada@example.com", &user, &email).is_err());
        assert_eq!(
            format!(
                "{:?}",
                NewPassword::parse("correct horse", &user, &email).unwrap()
            ),
            "NewPassword(***)"
        );
    }

    #[test]
    fn bios() {
        assert!(Bio::parse("Line one\nLine two — ünïcode 🎵").is_ok());
        assert!(Bio::parse(&"x".repeat(1001)).is_err());
        assert!(Bio::parse("nul\0byte").is_err());
    }
}
