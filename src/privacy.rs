//! Privacy: the keyed hash of a Telegram identity — the only place a user id is ever turned into
//! something that is stored; without the key the hash cannot be recomputed from a user id, and the
//! key lives only in the environment (or a file it names), never in the database or the logs — and
//! the threshold below which a group's individual answers are not shown.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::ExportRow;

/// The smallest key accepted: 32 bytes, as `openssl rand -hex 32` gives 64 hex characters.
const MIN_KEY_BYTES: usize = 32;

pub const HOW_TO_MAKE_A_KEY: &str = "Create one with `openssl rand -hex 32` (or `python3 -c \"import secrets; print(secrets.token_hex(32))\"`), \
keep it outside the repository, and pass it as ANKETA_IDENTITY_KEY, or put it in a file readable only by the bot \
and set ANKETA_IDENTITY_KEY_FILE to its path. Keep the same key for the whole campaign: a new key lets everyone answer again.";

/// The secret key of the identity hash. Never printed.
#[derive(Clone)]
pub struct IdentityKey(Vec<u8>);

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityKey([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no identity key: set ANKETA_IDENTITY_KEY or ANKETA_IDENTITY_KEY_FILE. {HOW_TO_MAKE_A_KEY}")]
    Missing,
    #[error("cannot read the identity key file {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("the identity key is too short ({len} bytes; at least {MIN_KEY_BYTES} are needed). {HOW_TO_MAKE_A_KEY}")]
    TooShort { len: usize },
}

/// An identity hash: HMAC-SHA256 over the campaign, the school and the Telegram user id.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IdentityHash([u8; 32]);

impl IdentityHash {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for IdentityHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityHash([redacted])")
    }
}

impl IdentityKey {
    /// Reads the key from `ANKETA_IDENTITY_KEY`, or from the file named by `ANKETA_IDENTITY_KEY_FILE`.
    pub fn from_env() -> Result<Self, KeyError> {
        let inline = std::env::var("ANKETA_IDENTITY_KEY").ok().filter(|k| !k.trim().is_empty());
        let file = std::env::var_os("ANKETA_IDENTITY_KEY_FILE").filter(|p| !p.is_empty());
        let text = match (inline, file) {
            (Some(key), _) => key,
            (None, Some(path)) => {
                let path = PathBuf::from(path);
                std::fs::read_to_string(&path).map_err(|source| KeyError::Unreadable { path, source })?
            }
            (None, None) => return Err(KeyError::Missing),
        };
        Self::new(text.trim().as_bytes())
    }

    pub fn new(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort { len: bytes.len() });
        }
        Ok(IdentityKey(bytes.to_vec()))
    }

    /// The identity of one Telegram user for one school in one campaign. Different schools give
    /// unrelated hashes, so a parent may answer once for each school where they have a child.
    pub fn identity(&self, user_id: u64, campaign_id: i64, school_id: i64) -> IdentityHash {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(format!("anketa/identity/v1\0{campaign_id}\0{school_id}\0{user_id}").as_bytes());
        IdentityHash(mac.finalize().into_bytes().into())
    }

    /// The key of a chat's draft: drafts are found by the chat an update comes from, yet nothing
    /// stored holds the chat id, not even a b-tree's interior page after the draft is gone.
    pub fn chat_key(&self, chat_id: i64) -> ChatKey {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(format!("anketa/chat/v1\0{chat_id}").as_bytes());
        ChatKey(mac.finalize().into_bytes().into())
    }
}

/// A draft's key: HMAC-SHA256 of the chat id under the identity key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChatKey([u8; 32]);

impl ChatKey {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ChatKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChatKey([redacted])")
    }
}

/// Individual answers are shown only for groups of at least `threshold` responses: a class below
/// it loses its class name (its rows are pooled under the school), and a school whose pooled rows
/// stay below it has those rows left out altogether.
pub fn hide_small_groups(rows: Vec<ExportRow>, threshold: usize) -> Vec<ExportRow> {
    let mut per_class: HashMap<(String, String, String), usize> = HashMap::new();
    for row in &rows {
        *per_class.entry((row.municipality.clone(), row.school.clone(), row.class.clone())).or_default() += 1;
    }
    let mut rows: Vec<ExportRow> = rows
        .into_iter()
        .map(|mut row| {
            if per_class[&(row.municipality.clone(), row.school.clone(), row.class.clone())] < threshold {
                row.class.clear();
            }
            row
        })
        .collect();
    let mut pooled: HashMap<(String, String), usize> = HashMap::new();
    for row in rows.iter().filter(|r| r.class.is_empty()) {
        *pooled.entry((row.municipality.clone(), row.school.clone())).or_default() += 1;
    }
    rows.retain(|row| !row.class.is_empty() || pooled[&(row.municipality.clone(), row.school.clone())] >= threshold);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(school: &str, class: &str) -> ExportRow {
        ExportRow { municipality: "M".into(), school: school.into(), class: class.into(), ..ExportRow::default() }
    }

    #[test]
    fn small_classes_lose_their_name_and_small_pools_are_left_out() {
        let mut rows = vec![row("A", "1")];
        rows.extend((0..5).map(|_| row("A", "2")));
        rows.extend((0..3).map(|_| row("A", "3")));
        rows.extend((0..2).map(|_| row("A", "4")));
        rows.extend((0..4).map(|_| row("B", "1")));
        let shown = hide_small_groups(rows, 5);
        let classes = |school: &str| -> Vec<String> {
            shown.iter().filter(|r| r.school == school).map(|r| r.class.clone()).collect()
        };
        // Class 2 has five: named. Classes 1, 3, 4 pool to six under the school, unnamed.
        assert_eq!(classes("A").iter().filter(|c| *c == "2").count(), 5);
        assert_eq!(classes("A").iter().filter(|c| c.is_empty()).count(), 6);
        // School B's four cannot hide in a pool of five: left out.
        assert!(classes("B").is_empty());
    }

    fn key(byte: u8) -> IdentityKey {
        IdentityKey::new(&[byte; 32]).unwrap()
    }

    #[test]
    fn the_hash_depends_on_every_part_and_the_key() {
        let k = key(7);
        let base = k.identity(42, 1, 1);
        assert_eq!(base, k.identity(42, 1, 1));
        assert_ne!(base, k.identity(43, 1, 1));
        assert_ne!(base, k.identity(42, 2, 1));
        assert_ne!(base, k.identity(42, 1, 2));
        assert_ne!(base, key(8).identity(42, 1, 1));
    }

    #[test]
    fn short_keys_are_refused_and_keys_never_print() {
        assert!(matches!(IdentityKey::new(b"short"), Err(KeyError::TooShort { len: 5 })));
        assert_eq!(format!("{:?}", key(1)), "IdentityKey([redacted])");
        assert!(KeyError::Missing.to_string().contains("openssl rand -hex 32"));
    }
}
