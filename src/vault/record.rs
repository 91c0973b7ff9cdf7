//! The persisted record: what is needed to resume a session, and nothing more.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::{IdToken, RefreshToken};

/// Current record format version.
pub const RECORD_VERSION: u32 = 1;

/// One session's persisted state. `Debug` redacts the tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Record {
    /// Format version ([`RECORD_VERSION`]).
    pub v: u32,
    /// The issuer the tokens come from.
    pub issuer: String,
    /// The client id they were issued to.
    pub client_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The ID token's `sub`.
    #[serde(default)]
    pub subject: Option<String>,
    /// The refresh token (the newest one after every rotation).
    pub refresh_token: RefreshToken,
    /// The last ID token, kept for `id_token_hint` at logout.
    #[serde(default)]
    pub id_token: Option<IdToken>,
    /// When it was written, seconds since the Unix epoch.
    pub saved_at: u64,
}

impl Record {
    /// Serializes to JSON in a buffer wiped on drop.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>> {
        serde_json::to_vec(self)
            .map(Zeroizing::new)
            .map_err(|e| Error::Internal(format!("record serialization: {e}")))
    }

    /// Parses a stored record; anything else is `store_corrupted` (the message never quotes
    /// the stored bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let r: Record = serde_json::from_slice(bytes).map_err(|e| {
            Error::StoreCorrupted(format!(
                "stored record does not parse ({:?} at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        if r.v != RECORD_VERSION {
            return Err(Error::StoreCorrupted(format!(
                "stored record has version {}, this build reads {RECORD_VERSION}",
                r.v
            )));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            v: RECORD_VERSION,
            issuer: "https://idp".into(),
            client_id: "c".into(),
            scopes: vec!["openid".into()],
            subject: Some("alice".into()),
            refresh_token: RefreshToken::new("rt-secret-value"),
            id_token: None,
            saved_at: 1,
        }
    }

    #[test]
    fn round_trip_and_redacted_debug() {
        let bytes = sample().to_bytes().unwrap();
        let back = Record::from_bytes(&bytes).unwrap();
        assert_eq!(back.refresh_token.secret(), "rt-secret-value");
        assert!(!format!("{back:?}").contains("rt-secret-value"));
    }

    #[test]
    fn bad_records_are_store_corrupted_without_quoting_them() {
        let mut future = serde_json::to_value(sample()).unwrap();
        future["v"] = 2.into();
        let cases: Vec<Vec<u8>> = vec![
            b"garbage rt-secret-value".to_vec(),
            b"{}".to_vec(),
            b"{\"v\":1,\"refreshToken\":\"rt-secret-value\"}".to_vec(),
            serde_json::to_vec(&future).unwrap(),
            vec![0xff, 0xfe, 0x00],
        ];
        for c in cases {
            let e = Record::from_bytes(&c).unwrap_err();
            assert_eq!(e.code(), "store_corrupted");
            assert!(!e.to_string().contains("rt-secret-value"), "{e}");
        }
    }
}
