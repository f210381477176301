//! One-time login codes: 6 random digits, kept only as an HMAC-SHA-256 keyed by the server and
//! salted per challenge (a leaked database does not let anyone try the million codes offline), and
//! compared in constant time.

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// A code as sent to the user. Its `Debug` is redacted so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl OtpCode {
    /// A uniformly random 6-digit code (leading zeros kept) from the OS generator.
    pub fn generate() -> Self {
        Self(format!("{:06}", OsRng.gen_range(0..1_000_000u32)))
    }

    /// The digits, for the mail body only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(<redacted>)")
    }
}

/// Whether `s` has the shape of a code (exactly 6 ASCII digits): anything else is not worth a hash.
pub fn well_formed(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The server's key for code hashes. Derived from the cookie key (one secret to manage), under its own
/// label so the two uses never share a key.
#[derive(Clone)]
pub struct OtpKey([u8; 32]);

impl OtpKey {
    pub fn derive(cookie_key: &tower_cookies::Key) -> Self {
        let mut mac = HmacSha256::new_from_slice(cookie_key.signing()).expect("HMAC takes any key");
        mac.update(b"kite-agent otp key v1");
        Self(mac.finalize().into_bytes().into())
    }

    /// A fresh random salt, hex.
    pub fn salt() -> String {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        hex::encode(salt)
    }

    /// hex(HMAC(key, salt ‖ 0 ‖ zerodha_id ‖ 0 ‖ code)): bound to the ID so a row cannot be moved.
    pub fn hash(&self, salt: &str, zerodha_id: &str, code: &str) -> String {
        hex::encode(self.mac(salt, zerodha_id, code))
    }

    fn mac(&self, salt: &str, zerodha_id: &str, code: &str) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(salt.as_bytes());
        mac.update(&[0]);
        mac.update(zerodha_id.as_bytes());
        mac.update(&[0]);
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether `code` is the one whose hash is `stored_hex`, in time independent of where they differ.
    pub fn matches(&self, stored_hex: &str, salt: &str, zerodha_id: &str, code: &str) -> bool {
        let Ok(stored) = hex::decode(stored_hex) else {
            return false;
        };
        let given = self.mac(salt, zerodha_id, code);
        stored.ct_eq(&given).into()
    }
}

impl std::fmt::Debug for OtpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200)
            .map(|_| OtpCode::generate().expose().to_string())
            .collect();
        assert!(codes.iter().all(|c| well_formed(c)));
        // 200 draws from a million: a repeat is possible, 190 distinct is not by chance.
        assert!(codes.len() > 190, "{} distinct", codes.len());
        assert!(!format!("{:?}", OtpCode::generate())
            .chars()
            .any(|c| c.is_ascii_digit()));
    }

    #[test]
    fn hash_binds_key_salt_id_and_code() {
        let k = OtpKey::derive(&tower_cookies::Key::generate());
        let salt = OtpKey::salt();
        let h = k.hash(&salt, "AB1234", "012345");
        assert!(k.matches(&h, &salt, "AB1234", "012345"));
        assert!(!k.matches(&h, &salt, "AB1234", "012346"));
        assert!(!k.matches(&h, &salt, "AB1235", "012345"));
        assert!(!k.matches(&h, &OtpKey::salt(), "AB1234", "012345"));
        assert!(!k.matches("zz", &salt, "AB1234", "012345"));
        let other = OtpKey::derive(&tower_cookies::Key::generate());
        assert!(!other.matches(&h, &salt, "AB1234", "012345"));
        assert!(well_formed("000000") && !well_formed("12345") && !well_formed("12345a"));
    }
}
