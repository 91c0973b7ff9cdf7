//! The contract between the Rust side of the native plugin (`src/mobile.rs`) and its two native
//! halves, the Swift class (`ios/Sources/`) and the Kotlin class (`android/src/main/java/`). No
//! Swift or Android toolchain runs here and a mismatch only shows on a device, as a plugin that
//! does not load or a command that fails, so the names they share are compared as text:
//!
//! - the Android package and class `register_android_plugin` names ⇔ the Kotlin `package`, the
//!   `@TauriPlugin` class and the file's path;
//! - the `ios_plugin_binding!` symbol ⇔ Swift's `@_cdecl`, whose function builds the class;
//! - the command `run_mobile_plugin_async` calls ⇔ Kotlin `@Command fun authorize(invoke:
//!   Invoke)` and Swift `@objc func authorize(_ invoke: Invoke)`;
//! - the argument fields Rust serialises (camelCase) ⇔ the fields each native decodes, and the
//!   result field Rust reads ⇔ the field each native answers;
//! - every rejection code a native uses ⇔ one that `from_native` turns into the error with that
//!   stable code (an unknown code would arrive as `browser_open_failed`);
//! - no native rejection message or log line names a URL (the authorization URL carries `state`
//!   and the PKCE challenge, the redirect URL the authorization code).
//!
//! The sources are read with comments removed; each check names the file and what to change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const RUST: &str = "src/mobile.rs";
const ERRORS: &str = "src/error.rs";
const SWIFT_DIR: &str = "ios/Sources";
const KOTLIN_DIR: &str = "android/src/main/java";

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("{path}: cannot read it ({e}); the mobile contract needs it"));
    strip_comments(&text)
}

// ---------------------------------------------------------------------------------------------
// A little lexing, shared by Rust, Swift and Kotlin (C-like comments, double-quoted strings).

/// The length of the string literal starting at `s[0] == '"'` (triple-quoted too), escapes
/// skipped.
fn literal_len(s: &str) -> usize {
    let b = s.as_bytes();
    let triple = s.starts_with("\"\"\"");
    let mut i = if triple { 3 } else { 1 };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' if triple && s[i..].starts_with("\"\"\"") => return i + 3,
            b'"' if !triple => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// `text` without `//` and `/* */` comments (string literals kept whole).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            rest = &rest[end..];
        } else if rest.starts_with("/*") {
            let end = rest[2..].find("*/").map_or(rest.len(), |i| i + 4);
            out.push(' ');
            rest = &rest[end..];
        } else if c == '"' {
            let n = literal_len(rest);
            out.push_str(&rest[..n]);
            rest = &rest[n..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The text between the bracket at `s[open]` and its match (strings skipped).
fn enclosed(s: &str, open: usize) -> &str {
    let (o, c) = match s.as_bytes()[open] {
        b'(' => (b'(', b')'),
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        other => panic!("not a bracket: {}", other as char),
    };
    let b = s.as_bytes();
    let (mut depth, mut i) = (0usize, open);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += literal_len(&s[i..]);
                continue;
            }
            x if x == o => depth += 1,
            x if x == c => {
                depth -= 1;
                if depth == 0 {
                    return &s[open + 1..i];
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced `{}`", o as char)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every start of `word` in `s` not inside a longer identifier.
fn word_starts(s: &str, word: &str) -> Vec<usize> {
    s.match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| {
            let before = s[..i].chars().next_back().is_none_or(|c| !is_ident(c));
            let after = s[i + word.len()..]
                .chars()
                .next()
                .is_none_or(|c| !is_ident(c));
            before && after
        })
        .collect()
}

/// Whether `s` ends with the word `word` (not the end of a longer identifier).
fn ends_with_word(s: &str, word: &str) -> bool {
    s.strip_suffix(word)
        .is_some_and(|head| head.chars().next_back().is_none_or(|c| !is_ident(c)))
}

/// The identifier at the start of `s` (after whitespace).
fn ident(s: &str) -> &str {
    let s = s.trim_start();
    &s[..s.find(|c: char| !is_ident(c)).unwrap_or(s.len())]
}

/// The argument text of every call `name(…)` in `s` (`name` may be a dotted path's end).
fn calls<'a>(s: &'a str, name: &str) -> Vec<&'a str> {
    word_starts(s, name)
        .into_iter()
        .filter_map(|i| {
            let mut after = i + name.len();
            // A turbofish (`name::<T>(…)`): the call's arguments follow it.
            if s[after..].starts_with("::<") {
                after += s[after..].find('>')? + 1;
            }
            let open = after + (s[after..].len() - s[after..].trim_start().len());
            (s[open..].starts_with('(')).then(|| enclosed(s, open))
        })
        .collect()
}

/// The body of the first `{ … }` after `s[from]`.
fn braces_after(s: &str, from: usize) -> &str {
    let open = from + s[from..].find('{').expect("a `{`");
    enclosed(s, open)
}

/// The string literals in `s` (contents, unescaped only as far as the checks need: raw).
fn literals(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(j) = s[i..].find('"') {
        let start = i + j;
        let n = literal_len(&s[start..]);
        let q = if s[start..].starts_with("\"\"\"") {
            3
        } else {
            1
        };
        out.push(&s[start + q..(start + n).saturating_sub(q).max(start + q)]);
        i = start + n;
    }
    out
}

/// `s` with every string literal blanked (what is code, not text).
fn code_only(s: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(j) = s[i..].find('"') {
        out.push_str(&s[i..i + j]);
        out.push_str("\"\"");
        i += j + literal_len(&s[i + j..]);
    }
    out.push_str(&s[i..]);
    out
}

/// The value of a string constant `<keyword> NAME(: type)? = "value"` (Rust `const`, Kotlin
/// `val`, Swift `let`), if `s` defines one.
fn string_constant(s: &str, name: &str) -> Option<String> {
    word_starts(s, name).into_iter().find_map(|i| {
        let before = s[..i].trim_end();
        let declared = ["const", "val", "let", "var"]
            .iter()
            .any(|k| ends_with_word(before, k));
        if !declared {
            return None;
        }
        let rest = &s[i + name.len()..];
        let eq = rest.find('=')?;
        // Nothing but an optional type between the name and `=`.
        let head = rest[..eq].trim();
        if !(head.is_empty() || head.starts_with(':')) || head.contains(['\n', ';', '{']) {
            return None;
        }
        let value = rest[eq + 1..].trim_start();
        value
            .starts_with('"')
            .then(|| literals(value)[0].to_string())
    })
}

/// A stable error code's shape (`login_cancelled`, `unsupported`).
fn looks_like_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && !s.starts_with('_')
        && !s.ends_with('_')
}

fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The Rust side.

struct RustSide {
    package: String,
    class: String,
    symbol: String,
    command: String,
    /// The command that dismisses the session on screen.
    cancel: String,
    /// The argument fields as serialised.
    args: BTreeSet<String>,
    /// The result fields as deserialised.
    result: BTreeSet<String>,
    /// `from_native`: native code → the variant it becomes.
    mapped: BTreeMap<String, String>,
    /// `from_native`'s variant for any other code.
    fallback: String,
    /// `Error::code()`: variant → stable code.
    codes: BTreeMap<String, String>,
}

impl RustSide {
    fn read() -> Self {
        let src = read(RUST);
        let constant = |name: &str| {
            string_constant(&src, name)
                .unwrap_or_else(|| panic!("{RUST}: no string constant `{name}`"))
        };
        let register = calls(&src, "register_android_plugin");
        assert_eq!(
            register
                .iter()
                .map(|a| a.split_whitespace().collect::<String>())
                .collect::<Vec<_>>(),
            ["ANDROID_PACKAGE,NATIVE_CLASS"],
            "{RUST}: `register_android_plugin` must be called once, with ANDROID_PACKAGE and \
             NATIVE_CLASS (the names this test compares with the Kotlin class)"
        );
        let binding = src
            .find("ios_plugin_binding!(")
            .map(|i| ident(&src[i + "ios_plugin_binding!(".len()..]).to_string())
            .unwrap_or_else(|| panic!("{RUST}: no `tauri::ios_plugin_binding!(…)`"));
        let registered: Vec<_> = calls(&src, "register_ios_plugin")
            .into_iter()
            .map(|a| a.trim().to_string())
            .collect();
        assert_eq!(
            registered,
            std::slice::from_ref(&binding),
            "{RUST}: `register_ios_plugin` must be given the `ios_plugin_binding!` symbol"
        );
        let run: Vec<_> = calls(&src, "run_mobile_plugin_async")
            .into_iter()
            .map(|a| ident(a).to_string())
            .collect();
        assert_eq!(
            run,
            ["AUTHORIZE_COMMAND", "CANCEL_COMMAND"],
            "{RUST}: the native calls must name their commands through AUTHORIZE_COMMAND and \
             CANCEL_COMMAND (the session, and its dismissal when the sign-in is dropped)"
        );
        let (mapped, fallback) = from_native_arms(&src);
        Self {
            package: constant("ANDROID_PACKAGE"),
            class: constant("NATIVE_CLASS"),
            symbol: binding,
            command: constant("AUTHORIZE_COMMAND"),
            cancel: constant("CANCEL_COMMAND"),
            args: serde_fields(&src, "AuthorizeArgs"),
            result: serde_fields(&src, "AuthorizeResult"),
            mapped,
            fallback,
            codes: stable_codes(),
        }
    }

    /// What `from_native` makes of native code `code`: the stable code of the error it becomes.
    fn arrives_as(&self, code: &str) -> &str {
        let variant = self.mapped.get(code).unwrap_or(&self.fallback);
        self.codes
            .get(variant)
            .unwrap_or_else(|| panic!("{ERRORS}: `Error::code` has no arm for `{variant}`"))
    }
}

/// The serialised names of the fields of Rust struct `name` (serde's `rename_all` applied).
fn serde_fields(src: &str, name: &str) -> BTreeSet<String> {
    let at = word_starts(src, name)
        .into_iter()
        .find(|&i| src[..i].trim_end().ends_with("struct"))
        .unwrap_or_else(|| panic!("{RUST}: no `struct {name}`"));
    let attrs_start = src[..at].rfind(['}', ';']).map_or(0, |i| i + 1);
    let camel = src[attrs_start..at].contains("rename_all = \"camelCase\"");
    let body = braces_after(src, at);
    assert!(
        !body.contains("rename"),
        "{RUST}: `{name}` renames a field; teach tests/mobile_contract.rs to read it"
    );
    body.split(',')
        .filter_map(|field| {
            let field = field.trim();
            let field = match field.rfind(']') {
                Some(i) if field.starts_with("#[") => field[i + 1..].trim(),
                _ => field,
            };
            let field = field
                .strip_prefix("pub(crate)")
                .or_else(|| field.strip_prefix("pub"))
                .unwrap_or(field);
            let (n, _) = field.split_once(':')?;
            let n = n.trim();
            (!n.is_empty() && n.chars().all(is_ident)).then(|| {
                if camel {
                    camel_case(n)
                } else {
                    n.to_string()
                }
            })
        })
        .collect()
}

/// `from_native`'s arms: `Some("code") => Error::Variant` and the `_ => Error::Variant` one.
fn from_native_arms(src: &str) -> (BTreeMap<String, String>, String) {
    let at = src
        .find("fn from_native")
        .unwrap_or_else(|| panic!("{RUST}: no `fn from_native`"));
    let body = braces_after(src, at);
    let variant_after = |s: &str| {
        let s = s.trim_start();
        let s = s
            .strip_prefix("Error::")
            .unwrap_or_else(|| panic!("{RUST}: `from_native` arm not `=> Error::…`: {s:.40}"));
        ident(s).to_string()
    };
    let mut mapped = BTreeMap::new();
    for (i, _) in body.match_indices("Some(\"") {
        let code = literals(&body[i + 5..])[0].to_string();
        let arrow = i + body[i..].find("=>").expect("`=>` after a code pattern");
        mapped.insert(code, variant_after(&body[arrow + 2..]));
    }
    let fallback = body
        .match_indices("_ =>")
        .map(|(i, _)| variant_after(&body[i + 4..]))
        .next()
        .unwrap_or_else(|| panic!("{RUST}: `from_native` has no `_ =>` arm"));
    assert!(
        !mapped.is_empty(),
        "{RUST}: `from_native` maps no code (`Some(\"…\") => Error::…`)"
    );
    (mapped, fallback)
}

/// `Error::code()`: variant → stable code.
fn stable_codes() -> BTreeMap<String, String> {
    let src = read(ERRORS);
    let at = src
        .find("fn code(&self)")
        .unwrap_or_else(|| panic!("{ERRORS}: no `fn code(&self)`"));
    let body = braces_after(&src, at);
    let mut codes = BTreeMap::new();
    for (i, _) in body.match_indices("Error::") {
        let variant = ident(&body[i + 7..]).to_string();
        let arrow = i + body[i..].find("=>").unwrap();
        let code = literals(&body[arrow..])[0].to_string();
        codes.insert(variant, code);
    }
    codes
}

// ---------------------------------------------------------------------------------------------
// The native sides.

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    Swift,
    Kotlin,
}

struct Native {
    lang: Lang,
    path: String,
    src: String,
}

impl Native {
    fn swift(rust: &RustSide) -> Self {
        let path = format!("{SWIFT_DIR}/{}.swift", rust.class);
        Self {
            lang: Lang::Swift,
            src: read(&path),
            path,
        }
    }

    /// The Kotlin source where the package and class Rust registers put it.
    fn kotlin(rust: &RustSide) -> Self {
        let path = format!(
            "{KOTLIN_DIR}/{}/{}.kt",
            rust.package.replace('.', "/"),
            rust.class
        );
        let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(&path);
        assert!(
            full.exists(),
            "{path}: no Kotlin source where ANDROID_PACKAGE `{}` and NATIVE_CLASS `{}` in {RUST} \
             put it (the Android build finds the class by that package and name)",
            rust.package,
            rust.class
        );
        // The plugin class first, then the package's other sources (the session, the activities
        // and the error codes the class rejects with live beside it).
        let mut src = read(&path);
        let dir = full.parent().unwrap();
        let mut others: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "kt") && *p != full)
            .collect();
        others.sort();
        for other in others {
            src.push('\n');
            src.push_str(&strip_comments(&std::fs::read_to_string(other).unwrap()));
        }
        Self {
            lang: Lang::Kotlin,
            src,
            path,
        }
    }

    /// The names of the functions annotated `annotation` (`@objc`, `@Command`), with their
    /// parameter lists.
    fn annotated_functions(&self, annotation: &str) -> Vec<(String, String)> {
        let s = &self.src;
        s.match_indices(annotation)
            .filter(|(i, _)| {
                s[i + annotation.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !is_ident(c))
            })
            .filter_map(|(i, _)| {
                // The declaration the annotation belongs to: up to its parameter list.
                let decl = &s[i..];
                let open = decl.find('(')?;
                let head = &decl[..open];
                let f = word_starts(head, "fun")
                    .into_iter()
                    .chain(word_starts(head, "func"))
                    .next()?;
                let kw = if head[f..].starts_with("func") { 4 } else { 3 };
                if head[..f].contains(['{', '}', '=']) {
                    return None;
                }
                Some((
                    ident(&head[f + kw..]).to_string(),
                    enclosed(decl, open)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                ))
            })
            .collect()
    }

    /// The fields of the type named in `parseArgs(T.self)` / `parseArgs(T::class.java)`.
    fn decoded_fields(&self) -> BTreeSet<String> {
        let parse = calls(&self.src, "parseArgs");
        assert_eq!(
            parse.len(),
            1,
            "{}: expected one `invoke.parseArgs(…)`, found {}",
            self.path,
            parse.len()
        );
        let ty = ident(parse[0]).to_string();
        self.fields_of(&ty)
    }

    /// The property names declared in type `ty` (Swift `let`/`var`; Kotlin `val`/`var`, in the
    /// body or the primary constructor).
    fn fields_of(&self, ty: &str) -> BTreeSet<String> {
        let s = &self.src;
        let keywords = ["struct", "class"];
        let at = word_starts(s, ty)
            .into_iter()
            .find(|&i| keywords.iter().any(|k| s[..i].trim_end().ends_with(k)))
            .unwrap_or_else(|| panic!("{}: no declaration of `{ty}`", self.path));
        // Kotlin's primary constructor `(val a: …)`, then a body `{ … }` on the same line.
        let mut pos = at + ty.len();
        let mut text = String::new();
        let after = &s[pos..];
        if after.trim_start().starts_with('(') {
            let open = pos + (after.len() - after.trim_start().len());
            let inner = enclosed(s, open);
            text.push_str(inner);
            pos = open + inner.len() + 2;
        }
        let line_end = s[pos..].find('\n').map_or(s.len(), |i| pos + i);
        if let Some(b) = s[pos..line_end].find('{') {
            text.push(' ');
            text.push_str(enclosed(s, pos + b));
        }
        let code = code_only(&text);
        let mut fields = BTreeSet::new();
        for kw in ["let", "var", "val"] {
            for i in word_starts(&code, kw) {
                let name = ident(&code[i + kw.len()..]);
                if !name.is_empty() {
                    fields.insert(name.to_string());
                }
            }
        }
        fields
    }

    /// The fields the native answers `resolve` with: Swift, an `Encodable` struct built in the
    /// call or a dictionary literal; Kotlin, the keys `put` into a `JSObject`.
    fn answered_fields(&self) -> BTreeSet<String> {
        let resolves = calls(&self.src, "resolve");
        assert!(
            !resolves.is_empty(),
            "{}: the command never answers (`invoke.resolve(…)`)",
            self.path
        );
        let mut fields = BTreeSet::new();
        for arg in resolves {
            let arg = arg.trim();
            if arg.starts_with('[') {
                for (i, _) in arg.match_indices("\":") {
                    let key_start = arg[..i].rfind('"').unwrap();
                    fields.insert(arg[key_start + 1..i].to_string());
                }
            } else if self.lang == Lang::Swift && arg.contains('(') {
                fields.extend(self.fields_of(ident(arg)));
            }
        }
        if self.lang == Lang::Kotlin {
            for arg in calls(&self.src, "put") {
                if let Some(key) = literals(arg).first() {
                    fields.insert(key.to_string());
                }
            }
        }
        fields
    }

    /// Every rejection code: code-shaped string literals among `reject(…)`'s arguments, and
    /// the values of the string constants named there.
    fn rejection_codes(&self) -> BTreeSet<String> {
        let mut codes = BTreeSet::new();
        for args in calls(&self.src, "reject") {
            codes.extend(
                literals(args)
                    .into_iter()
                    .filter(|l| looks_like_code(l))
                    .map(String::from),
            );
            let code = code_only(args);
            let mut rest = code.as_str();
            while let Some(i) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_') {
                let name = ident(&rest[i..]);
                if let Some(v) = string_constant(&self.src, name) {
                    if looks_like_code(&v) {
                        codes.insert(v);
                    }
                }
                rest = &rest[i + name.len().max(1)..];
            }
        }
        codes
    }

    /// The argument lists of the native's rejections and log calls.
    fn messages(&self) -> Vec<(&'static str, &str)> {
        let logs: &[&'static str] = match self.lang {
            Lang::Swift => &[
                "print",
                "debugPrint",
                "NSLog",
                "os_log",
                "log",
                "debug",
                "info",
                "error",
                "notice",
                "warning",
                "fault",
            ],
            Lang::Kotlin => &[
                "println", "v", "d", "i", "w", "e", "wtf", "debug", "info", "warn", "error",
            ],
        };
        let mut out = Vec::new();
        for name in std::iter::once(&"reject").chain(logs) {
            for args in calls(&self.src, name) {
                out.push((*name, args));
            }
        }
        out
    }
}

/// The identifiers in `args` that name a URL: in code, and in string interpolations (Swift
/// `\(…)`, Kotlin `$x` / `${…}`).
fn url_names(args: &str) -> Vec<String> {
    let mut code = code_only(args);
    for lit in literals(args) {
        for (i, _) in lit.match_indices("\\(") {
            code.push(' ');
            code.push_str(enclosed(lit, i + 1));
        }
        for (i, _) in lit.match_indices('$') {
            let rest = &lit[i + 1..];
            if rest.starts_with('{') {
                code.push(' ');
                code.push_str(enclosed(lit, i + 1));
            } else {
                code.push(' ');
                code.push_str(ident(rest));
            }
        }
    }
    let mut names = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_') {
        let name = ident(&rest[i..]);
        let url = words(name)
            .iter()
            .any(|w| matches!(w.as_str(), "url" | "uri" | "urls" | "uris"));
        if url {
            names.push(name.to_string());
        }
        rest = &rest[i + name.len().max(1)..];
    }
    names
}

/// The words of an identifier, lower-cased: `callbackURL` → callback, url; `URLString` → url,
/// string; `redirect_uri` → redirect, uri.
fn words(name: &str) -> Vec<String> {
    let c: Vec<char> = name.chars().collect();
    let mut out = vec![String::new()];
    for (i, &ch) in c.iter().enumerate() {
        let boundary = ch == '_'
            || (i > 0 && ch.is_ascii_uppercase() && c[i - 1].is_ascii_lowercase())
            || (i > 0
                && ch.is_ascii_uppercase()
                && c[i - 1].is_ascii_uppercase()
                && c.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
        if boundary && !out.last().unwrap().is_empty() {
            out.push(String::new());
        }
        if ch != '_' {
            out.last_mut().unwrap().push(ch.to_ascii_lowercase());
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

// ---------------------------------------------------------------------------------------------
// The checks, one per shared name, for each native.

fn check_command(command: &str, native: &Native, annotation: &str, param: &str) {
    let functions = native.annotated_functions(annotation);
    let found = functions.iter().find(|(name, _)| *name == command);
    let Some((_, params)) = found else {
        panic!(
            "{}: no `{annotation}` function `{command}` (a command constant in {RUST}); \
             `{annotation}` functions: {:?}",
            native.path,
            functions.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
    };
    assert_eq!(
        params, param,
        "{}: `{command}` must take `{param}` (Tauri calls it with the invoke)",
        native.path
    );
}

fn check_args(rust: &RustSide, native: &Native) {
    let decoded = native.decoded_fields();
    assert_eq!(
        decoded, rust.args,
        "{}: the `{}` arguments it decodes differ from what AuthorizeArgs in {RUST} sends \
         (camelCase): a field Rust does not send fails the decoding, one the native does not \
         declare is lost",
        native.path, rust.command
    );
}

fn check_result(rust: &RustSide, native: &Native) {
    let answered = native.answered_fields();
    let missing: Vec<_> = rust.result.difference(&answered).collect();
    assert!(
        missing.is_empty(),
        "{}: the answer lacks {missing:?}, which AuthorizeResult in {RUST} reads (answered: \
         {answered:?})",
        native.path
    );
}

fn check_codes(rust: &RustSide, native: &Native) {
    let codes = native.rejection_codes();
    assert!(
        codes.contains("login_cancelled"),
        "{}: no rejection with code `login_cancelled` (found {codes:?}): the user closing the \
         sign-in must not look like a failure. Codes are read from string literals or string \
         constants in `reject(…)` calls",
        native.path
    );
    for code in &codes {
        let arrives = rust.arrives_as(code);
        assert_eq!(
            arrives,
            code,
            "{}: rejection code `{code}` is not one `from_native` in {RUST} maps; it would \
             arrive as `{arrives}`. Mapped: {:?}, and anything else as `{}`",
            native.path,
            rust.mapped.keys().collect::<Vec<_>>(),
            rust.codes[&rust.fallback]
        );
    }
}

fn check_no_url_in_messages(native: &Native) {
    for (call, args) in native.messages() {
        let names = url_names(args);
        assert!(
            names.is_empty(),
            "{}: `{call}({})` names {names:?}: a rejection message or log line must never \
             carry a URL (state, PKCE challenge, authorization code)",
            native.path,
            args.trim()
        );
    }
}

#[test]
fn the_rust_side_maps_each_native_code_to_the_error_with_that_code() {
    let rust = RustSide::read();
    for (code, variant) in &rust.mapped {
        assert_eq!(
            rust.codes.get(variant),
            Some(code),
            "{RUST}: `from_native` maps `{code}` to `Error::{variant}`, whose stable code \
             differs"
        );
    }
    assert_eq!(
        rust.args,
        BTreeSet::from(["url".into(), "redirectUri".into(), "ephemeral".into()]),
        "{RUST}: the AuthorizeArgs fields changed: update both natives"
    );
    assert_eq!(rust.result, BTreeSet::from(["url".into()]));
}

#[test]
fn swift_cdecl_symbol_is_the_ios_plugin_binding_and_builds_the_class() {
    let rust = RustSide::read();
    let swift = Native::swift(&rust);
    let cdecl = calls(&swift.src, "@_cdecl")
        .first()
        .map(|a| literals(a)[0].to_string())
        .unwrap_or_else(|| panic!("{}: no `@_cdecl(\"…\")` function", swift.path));
    assert_eq!(
        cdecl, rust.symbol,
        "{}: `@_cdecl` must export the symbol `ios_plugin_binding!` declares in {RUST}",
        swift.path
    );
    let at = swift.src.find("@_cdecl").unwrap();
    let body = braces_after(&swift.src, at);
    assert!(
        word_starts(body, &rust.class).len() == 1,
        "{}: the `@_cdecl` function must build `{}()` (NATIVE_CLASS in {RUST})",
        swift.path,
        rust.class
    );
    let declared = word_starts(&swift.src, &rust.class).into_iter().any(|i| {
        let rest = &swift.src[i + rust.class.len()..];
        let header = &rest[..rest.find('{').unwrap_or(0)];
        ends_with_word(swift.src[..i].trim_end(), "class")
            && header.trim_start().starts_with(':')
            && word_starts(header, "Plugin").len() == 1
    });
    assert!(
        declared,
        "{}: no `class {}: Plugin`",
        swift.path, rust.class
    );
}

#[test]
fn kotlin_package_and_class_are_the_ones_rust_registers() {
    let rust = RustSide::read();
    let kotlin = Native::kotlin(&rust);
    let package = word_starts(&kotlin.src, "package")
        .first()
        .map(|&i| {
            let rest = &kotlin.src[i + "package".len()..];
            rest.trim_start()
                .split(|c: char| c.is_whitespace() || c == ';')
                .next()
                .unwrap()
                .to_string()
        })
        .unwrap_or_else(|| panic!("{}: no `package` line", kotlin.path));
    assert_eq!(
        package, rust.package,
        "{}: the package must be ANDROID_PACKAGE in {RUST}",
        kotlin.path
    );
    let at = kotlin
        .src
        .find("@TauriPlugin")
        .unwrap_or_else(|| panic!("{}: no `@TauriPlugin` class", kotlin.path));
    let class_at = at + word_starts(&kotlin.src[at..], "class")[0];
    let class = ident(&kotlin.src[class_at + "class".len()..]);
    assert_eq!(
        class, rust.class,
        "{}: the `@TauriPlugin` class must be NATIVE_CLASS in {RUST}",
        kotlin.path
    );
}

#[test]
fn swift_defines_the_authorize_and_cancel_commands() {
    let rust = RustSide::read();
    for command in [&rust.command, &rust.cancel] {
        check_command(command, &Native::swift(&rust), "@objc", "_ invoke: Invoke");
    }
}

#[test]
fn kotlin_defines_the_authorize_and_cancel_commands() {
    let rust = RustSide::read();
    for command in [&rust.command, &rust.cancel] {
        check_command(
            command,
            &Native::kotlin(&rust),
            "@Command",
            "invoke: Invoke",
        );
    }
}

#[test]
fn swift_decodes_the_arguments_rust_sends_and_answers_the_url() {
    let rust = RustSide::read();
    let swift = Native::swift(&rust);
    check_args(&rust, &swift);
    check_result(&rust, &swift);
}

#[test]
fn kotlin_decodes_the_arguments_rust_sends_and_answers_the_url() {
    let rust = RustSide::read();
    let kotlin = Native::kotlin(&rust);
    check_args(&rust, &kotlin);
    check_result(&rust, &kotlin);
}

#[test]
fn swift_rejects_only_with_codes_from_native_maps() {
    let rust = RustSide::read();
    check_codes(&rust, &Native::swift(&rust));
}

#[test]
fn kotlin_rejects_only_with_codes_from_native_maps() {
    let rust = RustSide::read();
    check_codes(&rust, &Native::kotlin(&rust));
}

#[test]
fn no_swift_rejection_or_log_names_a_url() {
    let rust = RustSide::read();
    check_no_url_in_messages(&Native::swift(&rust));
}

#[test]
fn no_kotlin_rejection_or_log_names_a_url() {
    let rust = RustSide::read();
    check_no_url_in_messages(&Native::kotlin(&rust));
}

/// The lexing the checks rely on.
#[test]
fn the_text_helpers_read_what_the_checks_need() {
    assert_eq!(
        strip_comments("a // x \"\n/* y */b \"// z\""),
        "a \n b \"// z\""
    );
    assert_eq!(enclosed("f(a, (b), \")\")", 1), "a, (b), \")\"");
    assert_eq!(
        calls("x.reject(\"m\", code: \"c\") rejected(1)", "reject"),
        ["\"m\", code: \"c\""]
    );
    assert_eq!(literals("\"a\", \"b\\\"c\""), ["a", "b\\\"c"]);
    assert_eq!(
        string_constant("const val CANCELLED = \"login_cancelled\"", "CANCELLED").as_deref(),
        Some("login_cancelled")
    );
    assert_eq!(
        string_constant("pub(crate) const X: &str = \"io.x\";", "X").as_deref(),
        Some("io.x")
    );
    assert_eq!(camel_case("redirect_uri"), "redirectUri");
    assert_eq!(
        url_names("\"failed: \\(callbackURL)\", code: c"),
        ["callbackURL"]
    );
    assert_eq!(url_names("\"failed: ${args.url}\", e"), ["url"]);
    assert_eq!(
        url_names("\"the URL is bad\", \"unsupported\""),
        Vec::<String>::new()
    );
    assert_eq!(url_names("duringSecurity, result"), Vec::<String>::new());
    assert_eq!(words("URLString"), ["url", "string"]);
    assert!(looks_like_code("login_cancelled") && looks_like_code("unsupported"));
    assert!(!looks_like_code("the user closed it") && !looks_like_code("Login"));
}
