// The iOS half of tauri-plugin-token-vault: one command, `authorize`, that presents the
// authorization URL in an ASWebAuthenticationSession and answers the URL the provider redirected
// to. Everything else (PKCE, state, nonce, the code exchange, the ID token, the Keychain) stays in
// Rust; src/mobile.rs is the other side of this file, and tests/mobile_contract.rs checks that the
// names below (symbol, command, argument and result fields, rejection codes) match it.
//
// Security: the authorization URL carries the sign-in's state and PKCE challenge, the redirect
// URL its authorization code. Neither is ever logged or put into a rejection message, and neither
// is an Apple error's description (it may quote the URL).

import AuthenticationServices
import Tauri
import UIKit
import WebKit

/// The arguments of `authorize` (src/mobile.rs `AuthorizeArgs`).
struct AuthorizeArgs: Decodable {
  /// The authorization URL (https).
  let url: String
  /// The redirect URI: a reverse-domain custom scheme (`com.example.app:/oauth/callback`) or a
  /// claimed https URL.
  let redirectUri: String
  /// `prefersEphemeralWebBrowserSession`: no cookies shared with Safari.
  let ephemeral: Bool
}

/// The answer of `authorize` (src/mobile.rs `AuthorizeResult`).
struct AuthorizeResult: Encodable {
  /// The URL the provider redirected to, with its query.
  let url: String
}

class TokenVaultPlugin: Plugin, ASWebAuthenticationPresentationContextProviding {
  /// The session on screen and the call it answers. The system does not keep an
  /// ASWebAuthenticationSession alive while it is presented: without this strong reference the
  /// session could be deallocated and its sheet torn down. Main thread only.
  private var current: (attempt: UInt64, session: ASWebAuthenticationSession, invoke: Invoke)?
  /// Numbers the sessions, so that a late completion of an earlier one never answers the current
  /// call (main thread only).
  private var attempts: UInt64 = 0
  /// The window the current session is presented over, chosen before `start()`.
  private weak var anchor: UIWindow?
  /// The webview the plugin was loaded into: its window is the natural anchor.
  private weak var webview: WKWebView?

  public override func load(webview: WKWebView) {
    self.webview = webview
  }

  /// Runs one authentication session. Tauri calls commands on its IPC queue; the session is
  /// created and started on the main thread, and the call is answered from its completion.
  @objc public func authorize(_ invoke: Invoke) throws {
    let args: AuthorizeArgs
    do {
      args = try invoke.parseArgs(AuthorizeArgs.self)
    } catch {
      // Not the decoder's description: it could quote an argument.
      invoke.reject("the authorize arguments do not parse", code: "browser_open_failed")
      return
    }
    // ASWebAuthenticationSession also loads http URLs; the sign-in's secrets do not travel over
    // plain http.
    guard let url = URL(string: args.url), url.scheme?.lowercased() == "https", url.host != nil
    else {
      invoke.reject("the authorization URL must be an https URL", code: "unsupported")
      return
    }
    guard let redirect = URL(string: args.redirectUri), let scheme = redirect.scheme?.lowercased()
    else {
      invoke.reject("the redirect URI does not parse", code: "unsupported")
      return
    }
    DispatchQueue.main.async {
      self.presentSession(
        invoke, url: url, redirect: redirect, scheme: scheme, ephemeral: args.ephemeral)
    }
  }

  /// Dismisses the session on screen, if there is one: the Rust side gave up on the sign-in
  /// (`cancelLogin`, its timeout, a dropped call; src/mobile.rs `CANCEL_COMMAND`). That session's
  /// `authorize` call is answered `login_cancelled`. Always resolves.
  @objc public func cancel(_ invoke: Invoke) {
    DispatchQueue.main.async {
      if let done = self.current {
        // Cleared first: a completion the system may still deliver finds no current session.
        self.current = nil
        self.anchor = nil
        done.session.cancel()
        done.invoke.reject("the app cancelled the sign-in", code: "login_cancelled")
      }
      invoke.resolve()
    }
  }

  /// Creates and starts the session (main thread).
  private func presentSession(
    _ invoke: Invoke, url: URL, redirect: URL, scheme: String, ephemeral: Bool
  ) {
    // One sheet at a time: the system would refuse or stack a second one, and its answer could
    // not be told apart from the first's.
    if current != nil {
      invoke.reject("a sign-in is already on screen", code: "login_in_progress")
      return
    }
    guard let window = presentationWindow() else {
      invoke.reject("there is no window to present the sign-in over", code: "browser_open_failed")
      return
    }
    attempts += 1
    let attempt = attempts
    let completion: ASWebAuthenticationSession.CompletionHandler = {
      [weak self] callbackURL, error in
      // Apple does not promise the queue of this handler; the state is main-thread only.
      DispatchQueue.main.async {
        self?.finish(attempt, callbackURL: callbackURL, error: error)
      }
    }

    let session: ASWebAuthenticationSession
    if scheme == "https" {
      // A claimed https redirect (RFC 8252 §7.2) is matched by host and path; the callback API
      // has no port.
      guard let host = redirect.host, !host.isEmpty, redirect.port == nil else {
        invoke.reject("an https redirect URI needs a host and no port", code: "unsupported")
        return
      }
      if #available(iOS 17.4, *) {
        session = ASWebAuthenticationSession(
          url: url, callback: .https(host: host, path: redirect.path),
          completionHandler: completion)
      } else {
        // Before iOS 17.4 the session only ends on a custom scheme.
        invoke.reject(
          "an https redirect URI needs iOS 17.4 or later; configure a custom-scheme redirect URI",
          code: "unsupported")
        return
      }
    } else if #available(iOS 17.4, *) {
      session = ASWebAuthenticationSession(
        url: url, callback: .customScheme(scheme), completionHandler: completion)
    } else {
      session = ASWebAuthenticationSession(
        url: url, callbackURLScheme: scheme, completionHandler: completion)
    }
    session.presentationContextProvider = self
    session.prefersEphemeralWebBrowserSession = ephemeral

    anchor = window
    current = (attempt: attempt, session: session, invoke: invoke)
    if !session.start() {
      current = nil
      anchor = nil
      invoke.reject("the authentication session did not start", code: "browser_open_failed")
    }
  }

  /// Answers the call of session `attempt` (main thread).
  private func finish(_ attempt: UInt64, callbackURL: URL?, error: Error?) {
    guard let done = current, done.attempt == attempt else { return }
    current = nil
    anchor = nil
    if let callbackURL = callbackURL {
      done.invoke.resolve(AuthorizeResult(url: callbackURL.absoluteString))
      return
    }
    if let error = error as? ASWebAuthenticationSessionError, error.code == .canceledLogin {
      done.invoke.reject("the user closed the sign-in", code: "login_cancelled")
      return
    }
    // Only the error's domain and number: its description is Apple's and may quote the URL.
    let reason = error.map { e -> String in
      let ns = e as NSError
      return "\(ns.domain) \(ns.code)"
    } ?? "no URL and no error"
    done.invoke.reject(
      "the authentication session failed (\(reason))", code: "browser_open_failed")
  }

  /// The window of the app's webview, else the key window of a foreground scene (main thread).
  private func presentationWindow() -> UIWindow? {
    if let window = webview?.window ?? manager.viewController?.view.window {
      return window
    }
    return UIApplication.shared.connectedScenes
      .compactMap { $0 as? UIWindowScene }
      .filter { $0.activationState == .foregroundActive }
      .flatMap { $0.windows }
      .first { $0.isKeyWindow }
  }

  // MARK: ASWebAuthenticationPresentationContextProviding

  func presentationAnchor(for session: ASWebAuthenticationSession) -> ASPresentationAnchor {
    // `presentSession` found a window before starting; should it have gone since, the current key
    // window. An anchor without a window makes the session fail (`presentationContextInvalid`),
    // which is answered as `browser_open_failed`.
    return anchor ?? presentationWindow() ?? ASPresentationAnchor()
  }
}

@_cdecl("init_plugin_token_vault")
func initPlugin() -> Plugin {
  return TokenVaultPlugin()
}
