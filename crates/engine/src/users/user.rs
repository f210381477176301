//! A registered Zerodha account: validated id and email, the Kite app's api_key, and its
//! api_secret, which stays a [`SecretString`] (redacted `Debug`, wiped on drop) from input to
//! encryption.

use super::error::UserError;
use chrono::{DateTime, Utc};
use email_address::{EmailAddress, Options};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A Zerodha client id (`AB1234`): 2 to 10 ASCII letters and digits, kept uppercase so the same
/// account never appears twice under two spellings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZerodhaId(String);

impl ZerodhaId {
    pub fn parse(text: &str) -> Result<Self, UserError> {
        let t = text.trim();
        if (2..=10).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(t.to_ascii_uppercase()))
        } else {
            Err(UserError::InvalidId(text.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZerodhaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ZerodhaId {
    type Err = UserError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An address with a dotted domain and no display name (`Name <a@b.c>` is a typo here).
pub(crate) fn parse_email(text: &str) -> Result<String, UserError> {
    let t = text.trim();
    let options = Options::default()
        .with_required_tld()
        .without_display_text()
        .without_domain_literal();
    EmailAddress::parse_with_options(t, options)
        .map(|e| e.as_str().to_string())
        .map_err(|_| UserError::InvalidEmail(text.to_string()))
}

/// Kite api keys are short tokens of letters and digits; anything with spaces or control
/// characters is a paste mistake.
pub(crate) fn parse_api_key(text: &str) -> Result<String, UserError> {
    let t = text.trim();
    if !t.is_empty() && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(t.to_string())
    } else {
        Err(UserError::InvalidApiKey)
    }
}

pub(crate) fn check_secret(secret: &SecretString, field: &'static str) -> Result<(), UserError> {
    let s = secret.expose_secret();
    if s.trim().is_empty() || s.len() > 256 || s.chars().any(char::is_control) {
        Err(UserError::InvalidSecret(field))
    } else {
        Ok(())
    }
}

/// A user with everything needed to log in to Kite on their behalf.
#[derive(Debug, Clone)]
pub struct User {
    zerodha_id: ZerodhaId,
    email: String,
    api_key: String,
    api_secret: SecretString,
}

impl User {
    /// Validates every field; the id is uppercased, surrounding blanks are trimmed.
    pub fn new(
        zerodha_id: &str,
        email: &str,
        api_key: &str,
        api_secret: SecretString,
    ) -> Result<Self, UserError> {
        check_secret(&api_secret, "api_secret")?;
        Ok(Self {
            zerodha_id: ZerodhaId::parse(zerodha_id)?,
            email: parse_email(email)?,
            api_key: parse_api_key(api_key)?,
            api_secret,
        })
    }

    pub fn zerodha_id(&self) -> &ZerodhaId {
        &self.zerodha_id
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The secret, to be exposed only where it is used (the login checksum).
    pub fn api_secret(&self) -> &SecretString {
        &self.api_secret
    }
}

/// What an operator sees of a user: never the secret.
impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} <{}> api_key {}",
            self.zerodha_id, self.email, self.api_key
        )
    }
}

/// A row of the registry as listed: no secret is decrypted to list users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub zerodha_id: ZerodhaId,
    pub email: String,
    pub api_key: String,
    /// When the stored access token expires; `None` without one.
    pub token_expires: Option<DateTime<Utc>>,
}

/// A stored Kite access token and when it stops working (Kite's tokens end at 6 AM IST).
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: SecretString,
    pub expires: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_validated_and_uppercased() {
        assert_eq!(ZerodhaId::parse(" ab1234 ").unwrap().as_str(), "AB1234");
        assert_eq!(ZerodhaId::parse("Z9").unwrap().as_str(), "Z9");
        assert_eq!(
            ZerodhaId::parse("ABCDEFGHIJ").unwrap().as_str(),
            "ABCDEFGHIJ"
        );
        for bad in ["", "A", "ABCDEFGHIJK", "AB 12", "AB-12", "ÄB12", "AB12\n3"] {
            assert!(
                matches!(ZerodhaId::parse(bad), Err(UserError::InvalidId(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn emails_and_keys_are_validated() {
        assert_eq!(parse_email(" a.b@example.in ").unwrap(), "a.b@example.in");
        for bad in [
            "",
            "a",
            "a@",
            "@b.c",
            "a@b",
            "A <a@b.c>",
            "a@[127.0.0.1]",
            "a b@c.d",
        ] {
            assert!(
                matches!(parse_email(bad), Err(UserError::InvalidEmail(_))),
                "{bad:?}"
            );
        }
        assert_eq!(parse_api_key(" k1x ").unwrap(), "k1x");
        for bad in ["", "a b", "k\u{7}", &"k".repeat(65)] {
            assert!(matches!(parse_api_key(bad), Err(UserError::InvalidApiKey)));
        }
        for bad in ["", "  ", "a\nb"] {
            let r = User::new("AB1234", "a@b.in", "k", SecretString::from(bad));
            assert!(matches!(r, Err(UserError::InvalidSecret("api_secret"))));
        }
    }

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let u = User::new(
            "ab1234",
            "t@example.com",
            "kitekey",
            SecretString::from("TOPSECRET-xyz"),
        )
        .unwrap();
        let shown = format!("{u:?} {u} {u:#?}");
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(shown.contains("AB1234") && shown.contains("kitekey"));
        let t = AccessToken {
            token: SecretString::from("TOKEN-abc"),
            expires: Utc::now(),
        };
        assert!(!format!("{t:?}").contains("TOKEN-abc"));
    }
}
