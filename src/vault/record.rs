//! The persisted record: what is needed to resume a session, and nothing more.
//!
//! Two shapes, told apart by `v`:
//! - version 1 ([`RECORD_VERSION`]): a refresh token (every build reads it);
//! - version 2 ([`ACCESS_TOKEN_RECORD_VERSION`]): no refresh token, the access token and its
//!   expiry instead (`persistAccessToken`, for providers that issue no refresh token). A build
//!   that reads only version 1 refuses it with `store_unsupported_version` and leaves it intact.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::{AccessToken, DpopPrivateKey, IdToken, RefreshToken};

/// Format version of a record holding a refresh token.
pub const RECORD_VERSION: u32 = 1;

/// Format version of a record holding an access token and no refresh token (the highest
/// version this build reads).
pub const ACCESS_TOKEN_RECORD_VERSION: u32 = 2;

/// One session's persisted state. `Debug` redacts the tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Record {
    /// Format version: [`RECORD_VERSION`] with a refresh token, [`ACCESS_TOKEN_RECORD_VERSION`]
    /// with an access token instead.
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
    /// The refresh token (the newest one after every rotation); version 1 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// The access token of a session without refresh token; version 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<AccessToken>,
    /// When that access token expires, seconds since the Unix epoch; absent: it does not
    /// expire (the provider gave no `expires_in`). Version 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_expires_at: Option<u64>,
    /// The DPoP key (RFC 9449) the tokens are bound to, in the same record so that they are
    /// written and wiped together. Either version. An older build does not know the field and
    /// leaves such a record intact (`store_unsupported_version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<StoredDpopKey>,
    /// The last ID token, kept for `id_token_hint` at logout.
    #[serde(default)]
    pub id_token: Option<IdToken>,
    /// When it was written, seconds since the Unix epoch.
    pub saved_at: u64,
}

/// A session's DPoP key as the record holds it: the key itself, or a reference to one kept in
/// hardware; exactly one of the two. `Debug` redacts the private key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoredDpopKey {
    /// Its JWS algorithm (`ES256`, `EdDSA`).
    pub alg: String,
    /// The private key (base64url PKCS#8) of a software key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs8: Option<DpopPrivateKey>,
    /// The platform's reference to a hardware key (its Keychain label on Apple platforms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ref: Option<String>,
}

impl Record {
    /// Whether the fields fit the version: a refresh token and no access token in version 1,
    /// an access token and no refresh token in version 2.
    pub fn is_consistent(&self) -> bool {
        match self.v {
            RECORD_VERSION => {
                self.refresh_token.is_some()
                    && self.access_token.is_none()
                    && self.access_token_expires_at.is_none()
            }
            ACCESS_TOKEN_RECORD_VERSION => {
                self.refresh_token.is_none() && self.access_token.is_some()
            }
            _ => false,
        }
    }

    /// Serializes to JSON in a buffer wiped on drop. A record whose fields do not fit its
    /// version ([`Self::is_consistent`]) is refused (`internal`): it would not read back.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>> {
        if !self.is_consistent() {
            return Err(Error::Internal(format!(
                "a version {} record with the fields of another version",
                self.v
            )));
        }
        serde_json::to_vec(self)
            .map(Zeroizing::new)
            .map_err(|e| Error::Internal(format!("record serialization: {e}")))
    }

    /// Parses a stored record. A record a newer app version wrote (a higher `v`, or fields
    /// this build does not know) is `store_unsupported_version`: the caller leaves it intact.
    /// Anything else that does not parse, or whose fields do not fit its version, is
    /// `store_corrupted`. Messages never quote the stored bytes.
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
            if v > u64::from(ACCESS_TOKEN_RECORD_VERSION) {
                return Err(Error::StoreUnsupportedVersion(format!(
                    "record format version {v}; this build reads up to {ACCESS_TOKEN_RECORD_VERSION}"
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
        // serde would read the key's struct from an array as well: only an object (or null)
        // is a stored key.
        if object
            .get("dpopKey")
            .is_some_and(|k| !k.is_object() && !k.is_null())
        {
            return Err(Error::StoreCorrupted(
                "the stored DPoP key is not an object".into(),
            ));
        }
        // A key kept another way (a newer build's hardware-backed key) is not this build's
        // to read, nor to wipe.
        if let Some(key) = object.get("dpopKey").and_then(|k| k.as_object()) {
            if key
                .keys()
                .any(|k| !["alg", "pkcs8", "keyRef"].contains(&k.as_str()))
            {
                return Err(Error::StoreUnsupportedVersion(
                    "a DPoP key stored in a form this build does not know".into(),
                ));
            }
        }
        let r: Record = serde_json::from_value(value).map_err(corrupted)?;
        if r.v != RECORD_VERSION && r.v != ACCESS_TOKEN_RECORD_VERSION {
            return Err(Error::StoreCorrupted(format!(
                "stored record has version {}, this build reads {RECORD_VERSION} and \
                 {ACCESS_TOKEN_RECORD_VERSION}",
                r.v
            )));
        }
        if r.dpop_key
            .as_ref()
            .is_some_and(|k| k.pkcs8.is_some() == k.key_ref.is_some())
        {
            return Err(Error::StoreCorrupted(
                "a stored DPoP key with both or neither of its forms".into(),
            ));
        }
        if !r.is_consistent() {
            return Err(Error::StoreCorrupted(format!(
                "stored version {} record without its token, or with another version's",
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
    "accessToken",
    "accessTokenExpiresAt",
    "dpopKey",
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
            refresh_token: Some(RefreshToken::new("rt-secret-value")),
            access_token: None,
            access_token_expires_at: None,
            dpop_key: None,
            id_token: None,
            saved_at: 1,
        }
    }

    /// An access-token-only record (version 2).
    fn access_only(expires_at: Option<u64>) -> Record {
        Record {
            v: ACCESS_TOKEN_RECORD_VERSION,
            refresh_token: None,
            access_token: Some(AccessToken::new("at-secret-value")),
            access_token_expires_at: expires_at,
            ..sample()
        }
    }

    #[test]
    fn round_trip_and_redacted_debug() {
        let bytes = sample().to_bytes().unwrap();
        let back = Record::from_bytes(&bytes).unwrap();
        assert_eq!(
            back.refresh_token.as_ref().unwrap().secret(),
            "rt-secret-value"
        );
        assert!(!format!("{back:?}").contains("rt-secret-value"));
    }

    /// A record with a refresh token is written exactly as before version 2 existed (the
    /// keys and `v` an older build reads), so an older build keeps reading it.
    #[test]
    fn a_refresh_token_record_stays_version_1_with_the_version_1_keys() {
        let bytes = sample().to_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["v"], 1);
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "clientId",
                "idToken",
                "issuer",
                "refreshToken",
                "savedAt",
                "scopes",
                "subject",
                "v"
            ]
        );
    }

    #[test]
    fn an_access_token_record_is_version_2_and_round_trips() {
        for expires_at in [None, Some(1_700_000_000)] {
            let bytes = access_only(expires_at).to_bytes().unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["v"], 2);
            assert!(v.get("refreshToken").is_none());
            assert_eq!(
                v.get("accessTokenExpiresAt").is_some(),
                expires_at.is_some()
            );
            let back = Record::from_bytes(&bytes).unwrap();
            assert!(back.refresh_token.is_none());
            assert_eq!(
                back.access_token.as_ref().unwrap().secret(),
                "at-secret-value"
            );
            assert_eq!(back.access_token_expires_at, expires_at);
            assert!(!format!("{back:?}").contains("at-secret-value"));
        }
    }

    /// What a build that reads only version 1 does with a version 2 record: its check (`v`
    /// above the version it reads) refuses it as `store_unsupported_version`, before any field.
    #[test]
    fn an_access_token_record_is_above_what_version_1_builds_read() {
        let bytes = access_only(None).to_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(v["v"].as_u64().unwrap() > u64::from(RECORD_VERSION));
    }

    /// A record whose tokens do not fit its version is neither written nor read.
    #[test]
    fn records_with_the_other_versions_token_are_refused() {
        let mut v1_with_access = sample();
        v1_with_access.access_token = Some(AccessToken::new("at-secret-value"));
        let mut v1_with_expiry = sample();
        v1_with_expiry.access_token_expires_at = Some(1);
        let mut v1_without_refresh = sample();
        v1_without_refresh.refresh_token = None;
        let mut v2_with_refresh = access_only(None);
        v2_with_refresh.refresh_token = Some(RefreshToken::new("rt-secret-value"));
        let mut v2_without_access = access_only(Some(1));
        v2_without_access.access_token = None;
        for r in [
            v1_with_access,
            v1_with_expiry,
            v1_without_refresh,
            v2_with_refresh,
            v2_without_access,
        ] {
            let e = r.to_bytes().unwrap_err();
            assert_eq!(e.code(), "internal");
            let bytes = serde_json::to_vec(&r).unwrap();
            let e = Record::from_bytes(&bytes).unwrap_err();
            assert_eq!(
                e.code(),
                "store_corrupted",
                "{}",
                String::from_utf8_lossy(&bytes)
            );
            assert!(!e.to_string().contains("secret-value"), "{e}");
        }
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
        newer["v"] = (ACCESS_TOKEN_RECORD_VERSION + 1).into();
        let mut extra = serde_json::to_value(sample()).unwrap();
        extra["hardwareKey"] = "rt-secret-value".into();
        let mut both = newer.clone();
        both["x"] = 1.into();
        for c in [newer, extra, both] {
            let e = Record::from_bytes(&serde_json::to_vec(&c).unwrap()).unwrap_err();
            assert_eq!(e.code(), "store_unsupported_version", "{c}");
            assert!(!e.to_string().contains("rt-secret-value"), "{e}");
        }
    }

    /// A DPoP key travels in the record of either version, as the key or as a hardware
    /// reference, round trips, and never shows in `Debug`; a key object with a field this build
    /// does not know is a newer build's (left intact: `store_unsupported_version`); one with both
    /// forms or neither is `store_corrupted`.
    #[test]
    fn a_dpop_key_round_trips_redacted_in_either_version() {
        for mut r in [sample(), access_only(Some(1))] {
            r.dpop_key = Some(StoredDpopKey {
                alg: "ES256".into(),
                pkcs8: Some(DpopPrivateKey::new("private-key-bytes")),
                key_ref: None,
            });
            let bytes = r.to_bytes().unwrap();
            let back = Record::from_bytes(&bytes).unwrap();
            let key = back.dpop_key.as_ref().unwrap();
            assert_eq!(
                (key.alg.as_str(), key.pkcs8.as_ref().unwrap().secret()),
                ("ES256", "private-key-bytes")
            );
            assert!(!format!("{back:?}").contains("private-key-bytes"));
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v["dpopKey"]["sealedBy"] = "tpm".into();
            let e = Record::from_bytes(&serde_json::to_vec(&v).unwrap()).unwrap_err();
            assert_eq!(e.code(), "store_unsupported_version");
            assert!(!e.to_string().contains("private-key-bytes"), "{e}");

            let mut hw = r.clone();
            hw.dpop_key = Some(StoredDpopKey {
                alg: "ES256".into(),
                pkcs8: None,
                key_ref: Some("label".into()),
            });
            let back = Record::from_bytes(&hw.to_bytes().unwrap()).unwrap();
            assert_eq!(back.dpop_key.unwrap().key_ref.as_deref(), Some("label"));
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v["dpopKey"]["keyRef"] = "label".into();
            let both = Record::from_bytes(&serde_json::to_vec(&v).unwrap()).unwrap_err();
            v["dpopKey"] = serde_json::json!({ "alg": "ES256" });
            let neither = Record::from_bytes(&serde_json::to_vec(&v).unwrap()).unwrap_err();
            // serde reads a struct from an array too: not a stored key either.
            v["dpopKey"] = serde_json::json!(["ES256", "private-key-bytes"]);
            let array = Record::from_bytes(&serde_json::to_vec(&v).unwrap()).unwrap_err();
            for e in [both, neither, array] {
                assert_eq!(e.code(), "store_corrupted");
                assert!(!e.to_string().contains("private-key-bytes"), "{e}");
            }
        }
    }

    #[test]
    fn the_known_field_list_is_the_records() {
        let mut with_all = sample();
        with_all.id_token = Some(IdToken::new("id"));
        with_all.access_token = Some(AccessToken::new("at"));
        with_all.access_token_expires_at = Some(1);
        with_all.dpop_key = Some(StoredDpopKey {
            alg: "ES256".into(),
            pkcs8: Some(DpopPrivateKey::new("k")),
            key_ref: None,
        });
        let v = serde_json::to_value(with_all).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        let mut fields = FIELDS.to_vec();
        fields.sort();
        assert_eq!(keys, fields);
    }
}
