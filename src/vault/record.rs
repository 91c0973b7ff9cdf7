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

    /// Parses a stored record. A record a newer app version wrote (a higher `v`, or fields
    /// this build does not know) is `store_unsupported_version`: the caller leaves it intact.
    /// Anything else that does not parse is `store_corrupted`. Messages never quote the stored
    /// bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let corrupted = |e: serde_json::Error| {
            Error::StoreCorrupted(format!(
                "stored record does not parse ({:?} at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        };
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(corrupted)?;
        let Some(object) = value.as_object() else {
            return Err(Error::StoreCorrupted(
                "stored record is not a JSON object".into(),
            ));
        };
        if let Some(v) = object.get("v").and_then(|v| v.as_u64()) {
            if v > u64::from(RECORD_VERSION) {
                return Err(Error::StoreUnsupportedVersion(format!(
                    "record format version {v}; this build reads {RECORD_VERSION}"
                )));
            }
        }
        let unknown: Vec<&str> = object
            .keys()
            .map(String::as_str)
            .filter(|k| !FIELDS.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::StoreUnsupportedVersion(format!(
                "record fields this build does not know: {}",
                unknown.join(", ")
            )));
        }
        let r: Record = serde_json::from_value(value).map_err(corrupted)?;
        if r.v != RECORD_VERSION {
            return Err(Error::StoreCorrupted(format!(
                "stored record has version {}, this build reads {RECORD_VERSION}",
                r.v
            )));
        }
        Ok(r)
    }
}

/// The record's JSON keys in this version (kept in step with [`Record`] by a unit test).
const FIELDS: &[&str] = &[
    "v",
    "issuer",
    "clientId",
    "scopes",
    "subject",
    "refreshToken",
    "idToken",
    "savedAt",
];

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
        let mut old = serde_json::to_value(sample()).unwrap();
        old["v"] = 0.into();
        let cases: Vec<Vec<u8>> = vec![
            b"garbage rt-secret-value".to_vec(),
            b"{}".to_vec(),
            b"[\"rt-secret-value\"]".to_vec(),
            b"{\"v\":1,\"refreshToken\":\"rt-secret-value\"}".to_vec(),
            b"{\"v\":\"two\",\"refreshToken\":\"rt-secret-value\"}".to_vec(),
            serde_json::to_vec(&old).unwrap(),
            vec![0xff, 0xfe, 0x00],
        ];
        for c in cases {
            let e = Record::from_bytes(&c).unwrap_err();
            assert_eq!(
                e.code(),
                "store_corrupted",
                "{}",
                String::from_utf8_lossy(&c)
            );
            assert!(!e.to_string().contains("rt-secret-value"), "{e}");
        }
    }

    #[test]
    fn records_of_a_newer_app_version_are_unsupported_not_corrupted() {
        let mut newer = serde_json::to_value(sample()).unwrap();
        newer["v"] = (RECORD_VERSION + 1).into();
        let mut extra = serde_json::to_value(sample()).unwrap();
        extra["dpopKey"] = "rt-secret-value".into();
        let mut both = newer.clone();
        both["x"] = 1.into();
        for c in [newer, extra, both] {
            let e = Record::from_bytes(&serde_json::to_vec(&c).unwrap()).unwrap_err();
            assert_eq!(e.code(), "store_unsupported_version", "{c}");
            assert!(!e.to_string().contains("rt-secret-value"), "{e}");
        }
    }

    #[test]
    fn the_known_field_list_is_the_records() {
        let mut with_all = sample();
        with_all.id_token = Some(IdToken::new("id"));
        let v = serde_json::to_value(with_all).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        let mut fields = FIELDS.to_vec();
        fields.sort();
        assert_eq!(keys, fields);
    }
}
