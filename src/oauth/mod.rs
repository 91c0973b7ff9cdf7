//! The OAuth 2.0 / OpenID Connect protocol: discovery, authorization request (PKCE S256,
//! `state`, `nonce`), code exchange, ID token validation. No Tauri imports.

pub mod client;
pub mod discovery;
pub mod http;
pub mod id_token;

pub use client::{AuthorizationRequest, OAuthClient, TokenSet};
pub use discovery::ProviderMetadata;
pub use id_token::{IdTokenClaims, IdTokenVerifier};
