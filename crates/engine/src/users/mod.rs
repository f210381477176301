//! The user registry: which Zerodha accounts the agent trades for, with each account's Kite app
//! credentials and current access token.
//!
//! Secrets (api_secret, access token) are encrypted before they reach the database
//! ([`cipher`]), under a key kept outside it ([`key`]): a copied database file, a backup or a
//! `SELECT` shows only ciphertext. In memory they stay [`secrecy::SecretString`]s, whose `Debug`
//! is redacted, so they cannot slip into logs or API responses by formatting.

pub mod cipher;
pub mod error;
mod import;
pub mod key;
pub mod registry;
pub mod user;

pub use cipher::CipherError;
pub use error::UserError;
pub use key::{KeyError, KeySource, SecretKey, KEY_ENV, KEY_FILE};
pub use registry::{ImportReport, UserRegistry};
pub use secrecy::{ExposeSecret, SecretString};
pub use user::{AccessToken, User, UserSummary, ZerodhaId};

#[cfg(test)]
mod tests;
