//! Login and session (SPEC §3): the login URL, the request-token exchange, logout, profile, margins.

use super::client::{Body, KiteClient};
use super::error::{KiteError, Result};
use super::limits::Class;
use model::broker::{FullProfile, MarginSegment, Margins, Profile, SegmentMargins, Session};
use reqwest::Method;
use sha2::{Digest, Sha256};

/// `hex(sha256(api_key ‖ request_token ‖ api_secret))`, the proof that we hold the secret.
pub fn checksum(api_key: &str, token: &str, api_secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(api_key.as_bytes());
    h.update(token.as_bytes());
    h.update(api_secret.as_bytes());
    hex::encode(h.finalize())
}

impl KiteClient {
    /// Where to send the user's browser to log in. `redirect_params` come back on the redirect.
    pub fn login_url(&self, redirect_params: Option<&str>) -> String {
        let mut url = format!(
            "{}?v=3&api_key={}",
            self.inner.config.login_url,
            urlencoding(&self.inner.config.api_key)
        );
        if let Some(p) = redirect_params {
            url.push_str("&redirect_params=");
            url.push_str(&urlencoding(p));
        }
        url
    }

    /// Exchanges the `request_token` from the login redirect for a session, and starts using it.
    pub async fn generate_session(&self, request_token: &str, api_secret: &str) -> Result<Session> {
        if request_token.is_empty() {
            return Err(KiteError::Invalid("request_token is empty".into()));
        }
        let form = vec![
            ("api_key", self.inner.config.api_key.clone()),
            ("request_token", request_token.to_string()),
            (
                "checksum",
                checksum(&self.inner.config.api_key, request_token, api_secret),
            ),
        ];
        let data = self
            .call_raw(
                Method::POST,
                "/session/token",
                &[],
                Body::Form(form),
                Class::Other,
                false,
                false,
            )
            .await?;
        let session: Session =
            serde_json::from_value(data).map_err(|e| KiteError::Decode(format!("session: {e}")))?;
        self.set_access_token(Some(session.access_token.clone()));
        Ok(session)
    }

    /// Logs out: the access token stops working at Kite, and here.
    pub async fn invalidate_session(&self) -> Result<bool> {
        let token = self.access_token().ok_or(KiteError::NotLoggedIn)?;
        let q = [
            ("api_key", self.inner.config.api_key.clone()),
            ("access_token", token),
        ];
        let ok: bool = self
            .call(
                Method::DELETE,
                "/session/token",
                &q,
                Body::None,
                Class::Other,
                false,
            )
            .await?;
        self.set_access_token(None);
        Ok(ok)
    }

    pub async fn profile(&self) -> Result<Profile> {
        self.call(
            Method::GET,
            "/user/profile",
            &[],
            Body::None,
            Class::Other,
            true,
        )
        .await
    }

    pub async fn full_profile(&self) -> Result<FullProfile> {
        self.call(
            Method::GET,
            "/user/profile/full",
            &[],
            Body::None,
            Class::Other,
            true,
        )
        .await
    }

    pub async fn margins(&self) -> Result<Margins> {
        self.call(
            Method::GET,
            "/user/margins",
            &[],
            Body::None,
            Class::Other,
            true,
        )
        .await
    }

    pub async fn segment_margins(&self, segment: MarginSegment) -> Result<SegmentMargins> {
        let path = format!("/user/margins/{}", segment.as_str());
        self.call(Method::GET, &path, &[], Body::None, Class::Other, true)
            .await
    }
}

/// Percent-encodes a query value.
pub(crate) fn urlencoding(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoding_escapes_reserved() {
        assert_eq!(urlencoding("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(urlencoding("abc-_.~9"), "abc-_.~9");
    }

    #[test]
    fn checksum_is_sha256_of_the_concatenation() {
        // sha256("abc") from FIPS 180-2.
        assert_eq!(
            checksum("a", "b", "c"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
