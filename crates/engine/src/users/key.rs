//! The registry's encryption key: 32 bytes from `KITE_AGENT_KEY` (base64 or hex), or else from
//! `<DATA_DIR>/secret.key`, created on first run with mode 0600. A key file others can read is
//! refused rather than used: it would make the encryption of everything else pointless.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use rand::RngCore;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The environment variable that, when set, holds the key (and no file is read or written).
pub const KEY_ENV: &str = "KITE_AGENT_KEY";
/// The key file's name under the data directory.
pub const KEY_FILE: &str = "secret.key";
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Deliberately without the value: it may be a mistyped key.
    #[error("{origin} is not a 32-byte key in base64 or hex (64 hex digits)")]
    Malformed { origin: String },
    #[error("cannot read or write the key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the key file {path} is readable by other users (mode {mode:o}); \
         run `chmod 600 {path}` if it is yours, or replace it"
    )]
    TooOpen { path: PathBuf, mode: u32 },
}

/// Where the key came from, so a command can tell the operator a new key file needs a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File(PathBuf),
    Created(PathBuf),
}

/// A 32-byte key, wiped from memory on drop; its `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut *bytes);
        Self { bytes }
    }

    /// Parses 64 hex digits or base64 (padded or not) of exactly 32 bytes; `origin` names the
    /// source in the error.
    pub fn parse(text: &str, origin: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let decoded = Zeroizing::new(if text.len() == 2 * KEY_LEN {
            hex::decode(text).ok()
        } else {
            STANDARD
                .decode(text)
                .or_else(|_| STANDARD_NO_PAD.decode(text))
                .ok()
        });
        match decoded.as_deref() {
            Some(b) if b.len() == KEY_LEN => {
                let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
                bytes.copy_from_slice(b);
                Ok(Self { bytes })
            }
            _ => Err(KeyError::Malformed {
                origin: origin.to_string(),
            }),
        }
    }

    /// The base64 text of the key, as written to the key file.
    pub fn encode(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(*self.bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// `KITE_AGENT_KEY` when set and not empty, else the key file under `data_dir` (created when
    /// missing).
    pub fn load_or_create(data_dir: &Path) -> Result<(Self, KeySource), KeyError> {
        let env = std::env::var(KEY_ENV).ok().map(Zeroizing::new);
        Self::resolve(env.as_deref().map(String::as_str), data_dir)
    }

    /// [`SecretKey::load_or_create`] with the environment's value given (tests, other callers).
    pub fn resolve(
        env_value: Option<&str>,
        data_dir: &Path,
    ) -> Result<(Self, KeySource), KeyError> {
        match env_value.filter(|v| !v.trim().is_empty()) {
            Some(v) => Ok((Self::parse(v, KEY_ENV)?, KeySource::Env)),
            None => Self::from_file(&data_dir.join(KEY_FILE)),
        }
    }

    fn from_file(path: &Path) -> Result<(Self, KeySource), KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                check_private(path)?;
                let key = Self::parse(&text, &path.display().to_string())?;
                Ok((key, KeySource::File(path.to_path_buf())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let key = Self::generate();
                match create_private(path) {
                    Ok(mut f) => {
                        f.write_all(format!("{}\n", key.encode().as_str()).as_bytes())
                            .and_then(|_| f.sync_all())
                            .map_err(io)?;
                        Ok((key, KeySource::Created(path.to_path_buf())))
                    }
                    // Another process created it between our read and our create: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::from_file(path)
                    }
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Refuses a key file that the group or others may read or write (as ssh does for its keys).
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn key_file_is_created_0600_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (k1, src1) = SecretKey::resolve(None, &data).unwrap();
        let path = data.join(KEY_FILE);
        assert_eq!(src1, KeySource::Created(path.clone()));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (k2, src2) = SecretKey::resolve(Some(""), &data).unwrap();
        assert_eq!(src2, KeySource::File(path.clone()));
        assert_eq!(k1.bytes(), k2.bytes());
        // A different data directory gets a different key.
        let (k3, _) = SecretKey::resolve(None, &dir.path().join("other")).unwrap();
        assert_ne!(k1.bytes(), k3.bytes());
    }

    #[test]
    fn a_readable_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        SecretKey::resolve(None, dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = SecretKey::resolve(None, dir.path()).unwrap_err();
        assert!(
            matches!(err, KeyError::TooOpen { mode: 0o644, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        SecretKey::resolve(None, dir.path()).unwrap();
    }

    #[test]
    fn env_key_wins_in_hex_or_base64_and_writes_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate();
        let b64 = key.encode();
        let hex = hex::encode(key.bytes());
        for text in [b64.as_str(), b64.trim_end_matches('='), hex.as_str()] {
            let (k, src) = SecretKey::resolve(Some(text), dir.path()).unwrap();
            assert_eq!(src, KeySource::Env);
            assert_eq!(k.bytes(), key.bytes());
        }
        assert!(!dir.path().join(KEY_FILE).exists());
        for bad in [
            "short",
            &hex[..62],
            &"zz".repeat(32),
            &STANDARD.encode([7u8; 31]),
        ] {
            let err = SecretKey::resolve(Some(bad), dir.path()).unwrap_err();
            assert!(matches!(err, KeyError::Malformed { .. }), "{bad}: {err:?}");
            assert!(
                !err.to_string().contains(bad),
                "the error must not echo the value"
            );
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let key = SecretKey::generate();
        let shown = format!("{key:?}");
        assert!(!shown.contains(key.encode().as_str()));
        assert!(!shown.contains(&hex::encode(key.bytes())));
    }
}
