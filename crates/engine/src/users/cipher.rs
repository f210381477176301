//! Sealing secrets for storage: XChaCha20-Poly1305 with a fresh random 24-byte nonce per value
//! (random nonces of that size never realistically repeat), and the value's place (table, column,
//! user) as associated data, so a ciphertext copied into another row or column fails to open.
//!
//! Stored form, base64 text: `version (1 byte) || nonce (24) || ciphertext || tag (16)`. The version
//! byte names the algorithm and key generation, so values can be re-sealed under a new key later.

use super::key::SecretKey;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

/// XChaCha20-Poly1305 under the registry's one key.
pub const VERSION_1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Why a stored value could not be opened. None of these carries any part of the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("not base64 text")]
    Encoding,
    #[error("too short to be a sealed value ({0} bytes)")]
    TooShort(usize),
    #[error("sealed with unknown version {0} (a newer kite-agent?)")]
    UnknownVersion(u8),
    /// The tag did not verify: another key, altered bytes, or a value moved from another row.
    #[error("authentication failed: wrong key (KITE_AGENT_KEY or secret.key) or altered data")]
    Authentication,
    #[error("the decrypted value is not UTF-8 text")]
    NotText,
    #[error("cannot seal a value this long")]
    Seal,
}

/// Where a sealed value lives; bound into its tag as associated data.
pub(crate) fn context(column: &str, zerodha_id: &str) -> String {
    format!("kite-agent/{column}/{zerodha_id}")
}

/// Seals `plaintext` for the place `aad`, returning the stored text.
pub(crate) fn seal(key: &SecretKey, aad: &str, plaintext: &str) -> Result<String, CipherError> {
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.bytes()));
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        // Only a message beyond 256 GiB fails here.
        .map_err(|_| CipherError::Seal)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(VERSION_1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(STANDARD.encode(out))
}

/// Opens a stored value sealed for the place `aad`.
pub(crate) fn open(key: &SecretKey, aad: &str, stored: &str) -> Result<String, CipherError> {
    let raw = STANDARD
        .decode(stored.trim())
        .map_err(|_| CipherError::Encoding)?;
    let Some((&version, rest)) = raw.split_first() else {
        return Err(CipherError::TooShort(0));
    };
    if version != VERSION_1 {
        return Err(CipherError::UnknownVersion(version));
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(CipherError::TooShort(raw.len()));
    }
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.bytes()));
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Authentication)?,
    );
    std::str::from_utf8(&plain)
        .map(str::to_owned)
        .map_err(|_| CipherError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let key = SecretKey::generate();
        let a = seal(&key, "ctx", "s3cret").unwrap();
        let b = seal(&key, "ctx", "s3cret").unwrap();
        assert_ne!(a, b, "the same secret must not seal to the same text");
        assert_eq!(open(&key, "ctx", &a).unwrap(), "s3cret");
        assert_eq!(open(&key, "ctx", &b).unwrap(), "s3cret");
        assert_eq!(STANDARD.decode(&a).unwrap()[0], VERSION_1);
    }

    #[test]
    fn wrong_key_wrong_place_and_altered_bytes_fail() {
        let key = SecretKey::generate();
        let sealed = seal(&key, "kite-agent/users.api_secret/AB1234", "s3cret").unwrap();
        assert_eq!(
            open(
                &SecretKey::generate(),
                "kite-agent/users.api_secret/AB1234",
                &sealed
            ),
            Err(CipherError::Authentication)
        );
        assert_eq!(
            open(&key, "kite-agent/users.api_secret/ZZ9999", &sealed),
            Err(CipherError::Authentication)
        );
        let mut raw = STANDARD.decode(&sealed).unwrap();
        for i in 1..raw.len() {
            raw[i] ^= 0x01;
            let text = STANDARD.encode(&raw);
            assert_eq!(
                open(&key, "kite-agent/users.api_secret/AB1234", &text),
                Err(CipherError::Authentication),
                "flipping byte {i} must be caught"
            );
            raw[i] ^= 0x01;
        }
        raw[0] = 2;
        assert_eq!(
            open(&key, "x", &STANDARD.encode(&raw)),
            Err(CipherError::UnknownVersion(2))
        );
        assert_eq!(open(&key, "x", "!!!"), Err(CipherError::Encoding));
        assert_eq!(open(&key, "x", ""), Err(CipherError::TooShort(0)));
        assert_eq!(
            open(&key, "x", &STANDARD.encode([1u8; 10])),
            Err(CipherError::TooShort(10))
        );
    }
}
