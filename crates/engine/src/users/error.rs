//! Everything that can go wrong in the registry. No variant carries a secret: an error may be
//! printed, logged or sent to a browser.

use super::cipher::CipherError;
use super::key::KeyError;
use crate::db::DbError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("invalid Zerodha id {0:?}: 2 to 10 letters and digits")]
    InvalidId(String),
    #[error("invalid email {0:?}")]
    InvalidEmail(String),
    #[error("invalid api_key: 1 to 64 printable characters without spaces")]
    InvalidApiKey,
    #[error("invalid {0}: empty, longer than 256 characters, or with control characters")]
    InvalidSecret(&'static str),
    #[error("user {0} already exists")]
    Duplicate(String),
    #[error("no user {0}")]
    NotFound(String),
    /// A stored secret that does not open under the current key.
    #[error("cannot decrypt {field} of {zerodha_id}: {source}")]
    Decrypt {
        zerodha_id: String,
        field: &'static str,
        source: CipherError,
    },
    #[error("cannot encrypt {field} of {zerodha_id}: {source}")]
    Encrypt {
        zerodha_id: String,
        field: &'static str,
        source: CipherError,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot read {path}: {source}")]
    ImportRead {
        path: PathBuf,
        source: std::io::Error,
    },
    /// serde_json's message names a line and column, never a value of a string field.
    #[error("{path} is not a list of users: {source}")]
    ImportFormat {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}, entry {index} ({zerodha_id}): {source}")]
    ImportEntry {
        path: PathBuf,
        index: usize,
        zerodha_id: String,
        source: Box<UserError>,
    },
    #[error("{path}: user {zerodha_id} appears more than once")]
    ImportDuplicate { path: PathBuf, zerodha_id: String },
    #[error("{0}")]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for UserError {
    fn from(e: sqlx::Error) -> Self {
        UserError::Db(DbError::Sql(e))
    }
}
