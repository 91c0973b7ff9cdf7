//! Secret newtypes: tokens, codes and verifiers.
//!
//! Every type here prints `TypeName([redacted])` through `Debug`, has no `Display` and no
//! `PartialEq`, and wipes its memory on drop (`zeroize`). Read the value with `secret()`, only
//! where it must leave the process (an HTTP request, the credential store, the CLI's `token`).

use std::sync::Arc;

use zeroize::{Zeroize, ZeroizeOnDrop};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Zeroize, ZeroizeOnDrop, serde::Deserialize, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value. Never log or display it.
            #[allow(dead_code)] // not every type's value is read in every build
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

/// An OAuth 2.0 access token (RFC 6749 §1.4).
///
/// Clones share one copy of the value (`get_token` hands out a clone per call; sharing makes
/// that a reference count, not a copy of the token): its memory is wiped when the last clone
/// is dropped. [`Zeroize::zeroize`] empties this clone (and wipes the value when no other
/// clone holds it).
#[derive(Clone)]
pub struct AccessToken(Arc<Wiped>);

/// The shared value of an [`AccessToken`], wiped on drop, and whether it is DPoP-bound.
struct Wiped(String, bool);

impl Drop for Wiped {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl AccessToken {
    /// Wraps a secret value (a bearer token).
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::new(Wiped(value.into(), false)))
    }

    /// Wraps a token bound to a DPoP key (RFC 9449): usable only with a proof of that key.
    pub(crate) fn new_dpop(value: impl Into<String>) -> Self {
        Self(Arc::new(Wiped(value.into(), true)))
    }

    /// The secret value. Never log or display it.
    pub fn secret(&self) -> &str {
        &self.0 .0
    }

    /// `"DPoP"` for a token bound to the session's DPoP key (RFC 9449: a resource server wants
    /// `Authorization: DPoP <token>` and a proof signed by the key, which only the plugin's
    /// `fetch` can make), `"Bearer"` otherwise.
    ///
    /// ```
    /// use tauri_plugin_token_vault::AccessToken;
    ///
    /// assert_eq!(AccessToken::new("t").token_type(), "Bearer");
    /// ```
    pub fn token_type(&self) -> &'static str {
        if self.0 .1 {
            "DPoP"
        } else {
            "Bearer"
        }
    }

    /// Whether the token is bound to a DPoP key ([`Self::token_type`] `"DPoP"`).
    pub fn is_dpop(&self) -> bool {
        self.0 .1
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl Zeroize for AccessToken {
    fn zeroize(&mut self) {
        match Arc::get_mut(&mut self.0) {
            Some(only) => only.0.zeroize(),
            // Other clones hold it: this one lets go (the last one wipes it).
            None => self.0 = Arc::new(Wiped(String::new(), self.0 .1)),
        }
    }
}

/// The value is wiped when the last clone is dropped.
impl ZeroizeOnDrop for AccessToken {}

impl serde::Serialize for AccessToken {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.secret())
    }
}

impl<'de> serde::Deserialize<'de> for AccessToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}
secret_string!(
    /// An OAuth 2.0 refresh token (RFC 6749 §1.5).
    RefreshToken
);
secret_string!(
    /// A DPoP private key as the credential store keeps it (base64url PKCS#8).
    DpopPrivateKey
);
secret_string!(
    /// An OpenID Connect ID token (a signed JWT).
    IdToken
);
secret_string!(
    /// An authorization code received on the redirect (RFC 6749 §4.1.2).
    AuthorizationCode
);
secret_string!(
    /// A client secret. Not a real secret in a native app (RFC 8252 §8.5), still never printed.
    ClientSecret
);
secret_string!(
    /// The `state` value of one authorization request (CSRF protection, RFC 6749 §10.12).
    State
);
secret_string!(
    /// The OpenID Connect `nonce` of one authorization request (replay protection).
    Nonce
);

impl State {
    /// Compares with a received value in constant time.
    pub fn matches(&self, received: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(received.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted_for_every_secret_type() {
        let value = "s3cr3t-value-that-must-not-leak";
        let printed = [
            format!("{:?}", AccessToken::new(value)),
            format!("{:?}", RefreshToken::new(value)),
            format!("{:?}", IdToken::new(value)),
            format!("{:?}", AuthorizationCode::new(value)),
            format!("{:?}", ClientSecret::new(value)),
            format!("{:?}", State::new(value)),
            format!("{:?}", Nonce::new(value)),
            format!("{:#?}", Some(AccessToken::new(value))),
        ];
        for p in &printed {
            assert!(!p.contains(value), "leaked in {p}");
            assert!(p.contains("[redacted]"), "{p}");
        }
        assert_eq!(printed[0], "AccessToken([redacted])");
    }

    #[test]
    fn secret_accessor_and_serde_round_trip_keep_the_value() {
        let t = RefreshToken::new("abc");
        assert_eq!(t.secret(), "abc");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"abc\"");
        let back: RefreshToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back.secret(), "abc");
    }

    #[test]
    fn zeroize_clears_the_value() {
        let mut t = AccessToken::new("wipe-me");
        t.zeroize();
        assert_eq!(t.secret(), "");
        let mut r = RefreshToken::new("wipe-me");
        r.zeroize();
        assert_eq!(r.secret(), "");
    }

    /// Access-token clones share one value: zeroizing one clone leaves the others intact; the
    /// serde form is the bare string like every other secret type's.
    #[test]
    fn access_token_clones_share_the_value_and_serialize_as_a_string() {
        let a = AccessToken::new("shared");
        let mut b = a.clone();
        assert!(std::ptr::eq(a.secret(), b.secret()), "one copy");
        b.zeroize();
        assert_eq!(b.secret(), "");
        assert_eq!(a.secret(), "shared");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"shared\"");
        let back: AccessToken = serde_json::from_str("\"x\"").unwrap();
        assert_eq!(back.secret(), "x");
    }

    #[test]
    fn state_comparison() {
        let s = State::new("abc123");
        assert!(s.matches("abc123"));
        assert!(!s.matches("abc124"));
        assert!(!s.matches("abc12"));
        assert!(!s.matches(""));
    }
}
