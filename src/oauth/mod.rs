//! The OAuth 2.0 / OpenID Connect protocol: discovery, authorization request (PKCE S256,
//! `state`, `nonce`), code exchange, refresh, revocation, ID token validation. No Tauri
//! imports; never imports `vault` or `session`.

pub(crate) mod client;
pub(crate) mod clock;
pub(crate) mod discovery;
pub(crate) mod disk_cache;
pub(crate) mod dpop;
pub(crate) mod id_token;
pub(crate) mod jwks;
pub(crate) mod jwt_crypto;

pub(crate) use client::{OAuthClient, TokenSet};
pub(crate) use clock::Clock;
pub(crate) use disk_cache::DiskCache;
pub(crate) use id_token::IdTokenClaims;
