//! The registry file format, `data/users.json` in the seed:
//! `[{"zerodha_id": "AB1234", "email": "a@b.in", "api_key": "…", "api_secret": "…"}]`.
//! Other fields are ignored, so a file with notes or later fields still imports.

use super::error::UserError;
use super::user::User;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;

#[derive(Deserialize)]
struct Entry {
    zerodha_id: String,
    email: String,
    api_key: String,
    api_secret: String,
}

/// Reads and validates the whole file before anything is written: a bad entry imports nothing.
pub(crate) fn read_users(path: &Path) -> Result<Vec<User>, UserError> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
        UserError::ImportRead {
            path: path.to_path_buf(),
            source,
        }
    })?);
    let entries: Vec<Entry> =
        serde_json::from_str(&text).map_err(|source| UserError::ImportFormat {
            path: path.to_path_buf(),
            source,
        })?;
    let mut seen = HashSet::new();
    let mut users = Vec::with_capacity(entries.len());
    for (index, e) in entries.into_iter().enumerate() {
        let user = User::new(
            &e.zerodha_id,
            &e.email,
            &e.api_key,
            SecretString::from(e.api_secret),
        )
        .map_err(|source| UserError::ImportEntry {
            path: path.to_path_buf(),
            index,
            zerodha_id: e.zerodha_id.clone(),
            source: Box::new(source),
        })?;
        if !seen.insert(user.zerodha_id().clone()) {
            return Err(UserError::ImportDuplicate {
                path: path.to_path_buf(),
                zerodha_id: user.zerodha_id().to_string(),
            });
        }
        users.push(user);
    }
    Ok(users)
}
