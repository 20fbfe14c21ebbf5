//! Privacy: the keyed hash of a Telegram identity — the only place a user id is ever turned into
//! something that is stored; without the key the hash cannot be recomputed from a user id, and the
//! key lives only in the environment (or a file it names), never in the database or the logs — and
//! the threshold below which a group's individual answers are not shown.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::db::ExportRow;

/// The smallest key accepted: 32 random bytes, as `anketa key generate` and `openssl rand -hex 32`
/// make them (64 hex characters).
pub const MIN_KEY_BYTES: usize = 32;

pub const HOW_TO_MAKE_A_KEY: &str = "Create one with `anketa key generate` (or `openssl rand -hex 32`), \
keep it outside the repository, and pass it as ANKETA_IDENTITY_KEY, or put it in a file only the bot's user can read \
(`(umask 077; anketa key generate > identity.key)`) and set ANKETA_IDENTITY_KEY_FILE to its path. \
Keep the same key for the whole campaign: a new key lets everyone answer again.";

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
    #[error(
        "both ANKETA_IDENTITY_KEY and ANKETA_IDENTITY_KEY_FILE are set: unset one of them, so that there is no doubt \
         which key counts the respondents (the file keeps the key out of the process environment)"
    )]
    BothSet,
    #[error("cannot read the identity key file {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error(
        "the identity key file {path} can be read by other users (mode {mode:03o}): run `chmod 600 {path}` \
         (and make the bot's user its owner)"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error(
        "the identity key must be at least {MIN_KEY_BYTES} random bytes written as hex or base64, not a passphrase. \
         {HOW_TO_MAKE_A_KEY}"
    )]
    NotEncoded,
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
        let file = std::env::var_os("ANKETA_IDENTITY_KEY_FILE").filter(|p| !p.is_empty()).map(PathBuf::from);
        Self::from_sources(inline.as_deref(), file.as_deref())
    }

    /// The key from exactly one of its sources: its text, or a file only its owner can read.
    pub fn from_sources(inline: Option<&str>, file: Option<&Path>) -> Result<Self, KeyError> {
        match (inline, file) {
            (Some(_), Some(_)) => Err(KeyError::BothSet),
            (Some(text), None) => Self::parse(text),
            (None, Some(path)) => Self::parse(&read_key_file(path)?),
            (None, None) => Err(KeyError::Missing),
        }
    }

    /// The key's bytes from its text: hex, or base64 (standard or URL-safe, padded or not).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        Self::new(&decode(text.trim()).ok_or(KeyError::NotEncoded)?)
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

    /// The chat id of a draft, sealed so that its one reminder can be sent: XORed with a pad the
    /// key derives from the draft's [`ChatKey`], so the stored bytes are none of the chat id's
    /// encodings and tell nothing to a reader without the key. A key holder learns nothing new:
    /// with the key, a known chat id finds its draft through [`IdentityKey::chat_key`] anyway.
    pub fn seal_chat(&self, chat_id: i64) -> [u8; 8] {
        let pad = self.chat_pad(&self.chat_key(chat_id));
        std::array::from_fn(|i| chat_id.to_be_bytes()[i] ^ pad[i])
    }

    /// The chat id [`IdentityKey::seal_chat`] sealed for the draft `key`; `None` when the bytes were
    /// not sealed for this draft under this key.
    pub fn open_chat(&self, key: &ChatKey, sealed: &[u8]) -> Option<i64> {
        let sealed: [u8; 8] = sealed.try_into().ok()?;
        let pad = self.chat_pad(key);
        let chat_id = i64::from_be_bytes(std::array::from_fn(|i| sealed[i] ^ pad[i]));
        (self.chat_key(chat_id) == *key).then_some(chat_id)
    }

    fn chat_pad(&self, key: &ChatKey) -> [u8; 8] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(b"anketa/reminder-chat/v1\0");
        mac.update(key.as_bytes());
        let digest = mac.finalize().into_bytes();
        std::array::from_fn(|i| digest[i])
    }
}

/// A draft's key: HMAC-SHA256 of the chat id under the identity key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChatKey([u8; 32]);

impl ChatKey {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A key as stored in a draft's row.
    pub fn from_bytes(bytes: &[u8]) -> Option<ChatKey> {
        bytes.try_into().ok().map(ChatKey)
    }
}

impl fmt::Debug for ChatKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChatKey([redacted])")
    }
}

/// A new key for `anketa key generate`: [`MIN_KEY_BYTES`] bytes from the operating system's
/// random source, as hex.
pub fn generate_key() -> String {
    let mut bytes = [0u8; MIN_KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Hex first (64 hex characters are valid base64 too, and mean the hex bytes), then base64. Random
/// bytes in base64 mix upper and lower case (one case alone in 43 characters happens about once in
/// 10^10 keys), while a passphrase made of base64's characters (`school-survey-key-…`) seldom does:
/// requiring both turns most passphrases away instead of reading them as bytes.
fn decode(text: &str) -> Option<Vec<u8>> {
    if text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return hex::decode(text).ok();
    }
    let mixed_case = text.bytes().any(|b| b.is_ascii_uppercase()) && text.bytes().any(|b| b.is_ascii_lowercase());
    if !mixed_case {
        return None;
    }
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].iter().find_map(|engine| engine.decode(text).ok())
}

/// The key file's text, refused when anyone but its owner may read it: the key is what stops a
/// second answer, and whoever holds it can test whether a given account answered.
fn read_key_file(path: &Path) -> Result<String, KeyError> {
    let unreadable = |source| KeyError::Unreadable { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(unreadable)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Exposed { path: path.to_path_buf(), mode });
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(unreadable)?;
    Ok(text)
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

    #[test]
    fn a_sealed_chat_opens_only_for_its_draft_and_key() {
        let key = IdentityKey::new(&[7; 32]).unwrap();
        let chat = 7_340_000_123_i64;
        let sealed = key.seal_chat(chat);
        assert_ne!(&sealed, &chat.to_be_bytes());
        assert_eq!(key.open_chat(&key.chat_key(chat), &sealed), Some(chat));
        assert_eq!(key.open_chat(&key.chat_key(chat + 1), &sealed), None, "another draft's key");
        let other = IdentityKey::new(&[8; 32]).unwrap();
        assert_eq!(other.open_chat(&other.chat_key(chat), &sealed), None, "another identity key");
        assert_eq!(key.open_chat(&key.chat_key(chat), &sealed[..7]), None);
    }

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
        let missing = KeyError::Missing.to_string();
        assert!(missing.contains("anketa key generate") && missing.contains("openssl rand -hex 32"), "{missing}");
    }

    /// The same 32 bytes in every accepted spelling.
    const BYTES: [u8; 32] = *b"\x00\x01\xfe\xffanketa identity key bytes ok";

    fn same_key(text: &str) -> bool {
        let parsed = IdentityKey::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        parsed.identity(42, 1, 1) == IdentityKey::new(&BYTES).unwrap().identity(42, 1, 1)
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_and_hashed_as_their_bytes() {
        let hex = hex::encode(BYTES);
        assert!(same_key(&hex) && same_key(&hex.to_uppercase()) && same_key(&format!("  {hex}\n")));
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            assert!(same_key(&engine.encode(BYTES)), "{}", engine.encode(BYTES));
        }
        // The two alphabets differ in + / against - _; these bytes use both.
        assert!(STANDARD.encode(BYTES).contains('/') && URL_SAFE.encode(BYTES).contains('_'));
        // Longer keys are fine; the bytes, not the text, key the hash.
        let long = IdentityKey::parse(&hex::encode([7u8; 64])).unwrap();
        assert_eq!(long.identity(1, 1, 1), IdentityKey::new(&[7u8; 64]).unwrap().identity(1, 1, 1));
    }

    #[test]
    fn short_keys_and_passphrases_are_refused() {
        let short_hex = hex::encode([1u8; 31]);
        assert!(matches!(IdentityKey::parse(&short_hex), Err(KeyError::TooShort { len: 31 })));
        let short_base64 = STANDARD.encode(&BYTES[..31]);
        assert!(matches!(IdentityKey::parse(&short_base64), Err(KeyError::TooShort { len: 31 })));
        for passphrase in [
            "too-short",
            "test-identity-key-0123456789abcdef0123456789abcdef",
            "correct horse battery staple and a few more words to pass 32",
            "мой секретный ключ для анкеты школы номер один",
            &format!("{}g", hex::encode(BYTES)),
        ] {
            let error = IdentityKey::parse(passphrase).err().unwrap_or_else(|| panic!("{passphrase:?} accepted"));
            assert!(matches!(error, KeyError::NotEncoded), "{passphrase:?}: {error}");
            assert!(
                error.to_string().contains("not a passphrase") && error.to_string().contains("anketa key generate")
            );
        }
    }

    #[test]
    fn generated_keys_are_fresh_and_accepted() {
        let (a, b) = (generate_key(), generate_key());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(IdentityKey::parse(&a).is_ok());
    }

    fn key_file(text: &str, mode: u32) -> tempfile::NamedTempFile {
        use std::os::unix::fs::PermissionsExt;
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        file
    }

    #[test]
    fn exactly_one_source_and_a_key_file_only_its_owner_reads() {
        let hex = hex::encode(BYTES);
        assert!(matches!(IdentityKey::from_sources(None, None), Err(KeyError::Missing)));
        assert!(IdentityKey::from_sources(Some(&hex), None).is_ok());
        for mode in [0o600, 0o400] {
            let file = key_file(&format!("{hex}\n"), mode);
            assert!(IdentityKey::from_sources(None, Some(file.path())).is_ok(), "{mode:o}");
            let both = IdentityKey::from_sources(Some(&hex), Some(file.path())).unwrap_err();
            assert!(matches!(both, KeyError::BothSet), "{both}");
        }
        for mode in [0o640, 0o644, 0o604, 0o660] {
            let file = key_file(&hex, mode);
            let error = IdentityKey::from_sources(None, Some(file.path())).unwrap_err();
            assert!(matches!(error, KeyError::Exposed { .. }), "{mode:o}: {error}");
            let message = error.to_string();
            assert!(message.contains(&format!("chmod 600 {}", file.path().display())), "{message}");
            assert!(message.contains(&format!("mode {mode:03o}")), "{message}");
        }
        let passphrase = key_file("a passphrase that is long enough to pass a length check", 0o600);
        assert!(matches!(IdentityKey::from_sources(None, Some(passphrase.path())), Err(KeyError::NotEncoded)));
        let missing = IdentityKey::from_sources(None, Some(Path::new("/no/such/key"))).unwrap_err();
        assert!(matches!(missing, KeyError::Unreadable { .. }) && missing.to_string().contains("/no/such/key"));
    }
}
