//! Splitting values across several credential entries.
//!
//! Windows caps a credential blob at 2560 bytes (`CRED_MAX_CREDENTIAL_BLOB_SIZE`); a record
//! with an ID token can be larger. A value that does not fit is stored as a first entry holding
//! a header and the first part, and entries `<key>#<generation>.1`, `<key>#<generation>.2`…
//! holding the rest. The header carries the generation, the part count and a SHA-256 of the
//! whole value, so a torn or mixed write reads as `store_corrupted`, never as a wrong value.
//! Written by hand: no kept crate does this.
//!
//! Every write uses the next generation: its parts never overwrite the parts the current
//! header names, and the first entry (the header) is written last, so a write that fails at
//! any step leaves the old value readable (see `Vault::set`).
//!
//! Header: `\0tv-chunks:2:<generation>:<count>:<sha256 hex>\n`. The first format,
//! `\0tv-chunks:1:<count>:<sha256 hex>\n` with parts `<key>#1`…, is still read. A value that
//! itself starts with NUL is always stored with a header, so the forms cannot be confused.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Windows' limit on one credential blob, in bytes.
pub const WINDOWS_BLOB_LIMIT: usize = 2560;

const MAGIC_V1: &[u8] = b"\0tv-chunks:1:";
const MAGIC: &[u8] = b"\0tv-chunks:2:";
/// Longest header: magic + generation (up to 10 digits) + ':' + count (up to 10 digits) +
/// ':' + 64 hex + '\n'.
pub(crate) const MAX_HEADER: usize = 13 + 10 + 1 + 10 + 1 + 64 + 1;
/// Most parts a value may have (a sanity bound on what a header may claim).
pub(crate) const MAX_PARTS: usize = 64;

/// A parsed header.
#[derive(Debug, PartialEq)]
pub(crate) struct Header {
    /// The write's generation; `None` for the first format (parts `<key>#<i>`).
    pub generation: Option<u32>,
    pub count: usize,
    pub sha256: [u8; 32],
    pub body_offset: usize,
}

/// The key of part `i` (≥ 1) of `key` in `generation` (`None`: the first format).
pub(crate) fn part_key(key: &str, generation: Option<u32>, i: usize) -> String {
    match generation {
        Some(g) => format!("{key}#{g}.{i}"),
        None => format!("{key}#{i}"),
    }
}

/// Splits `value` into the entries to store: one entry when it fits in `limit` (or there is
/// no limit) and does not start with NUL; otherwise a header + first part, then the parts.
pub(crate) fn split(
    value: &[u8],
    limit: Option<usize>,
    generation: u32,
) -> Vec<Zeroizing<Vec<u8>>> {
    let fits = limit.is_none_or(|l| value.len() <= l);
    if fits && value.first() != Some(&0) {
        return vec![Zeroizing::new(value.to_vec())];
    }
    let limit = limit.unwrap_or(usize::MAX).max(MAX_HEADER + 1);
    let first_room = limit - MAX_HEADER;
    let rest = value.len().saturating_sub(first_room);
    let count = 1 + rest.div_ceil(limit);
    let digest = Sha256::digest(value);
    let mut first = Zeroizing::new(Vec::with_capacity(limit.min(value.len() + MAX_HEADER)));
    first.extend_from_slice(MAGIC);
    first.extend_from_slice(format!("{generation}:{count}:{}\n", hex(&digest)).as_bytes());
    let head_len = first_room.min(value.len());
    first.extend_from_slice(&value[..head_len]);
    let mut out = vec![first];
    for part in value[head_len..].chunks(limit) {
        out.push(Zeroizing::new(part.to_vec()));
    }
    debug_assert_eq!(out.len(), count);
    out
}

/// Parses the header of a first entry; `None` when the entry is a whole value. A first entry
/// starting with NUL is always a header ([`split`] never stores a whole value that does), so
/// one that is not a valid header is `store_corrupted`, never returned as a value.
pub(crate) fn parse_header(first: &[u8]) -> Result<Option<Header>> {
    let corrupted = || Error::StoreCorrupted("chunk header is malformed".into());
    let magic = if first.starts_with(MAGIC) {
        MAGIC
    } else if first.starts_with(MAGIC_V1) {
        MAGIC_V1
    } else if first.first() == Some(&0) {
        return Err(corrupted());
    } else {
        return Ok(None);
    };
    let rest = &first[magic.len()..];
    let end = rest
        .iter()
        .take(MAX_HEADER)
        .position(|&b| b == b'\n')
        .ok_or_else(corrupted)?;
    let text = std::str::from_utf8(&rest[..end]).map_err(|_| corrupted())?;
    let (generation, text) = if magic == MAGIC {
        let (g, rest) = text.split_once(':').ok_or_else(corrupted)?;
        if g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()) {
            return Err(corrupted());
        }
        (Some(g.parse::<u32>().map_err(|_| corrupted())?), rest)
    } else {
        (None, text)
    };
    let (count, digest) = text.split_once(':').ok_or_else(corrupted)?;
    // Digits only (`parse` would take a `+`), and 64 hex digits: a multi-byte character in
    // the digest must not reach the byte slicing below.
    if count.is_empty()
        || !count.bytes().all(|b| b.is_ascii_digit())
        || digest.len() != 64
        || !digest.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(corrupted());
    }
    let count: usize = count.parse().map_err(|_| corrupted())?;
    if count == 0 || count > MAX_PARTS {
        return Err(corrupted());
    }
    let mut sha256 = [0u8; 32];
    for (i, byte) in sha256.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).map_err(|_| corrupted())?;
    }
    Ok(Some(Header {
        generation,
        count,
        sha256,
        body_offset: magic.len() + end + 1,
    }))
}

/// Joins the parts read back and checks them against the header.
pub(crate) fn join(header: &Header, parts: &[Zeroizing<Vec<u8>>]) -> Result<Zeroizing<Vec<u8>>> {
    if parts.len() != header.count {
        return Err(Error::StoreCorrupted("wrong number of parts".into()));
    }
    let mut value = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for p in parts {
        value.extend_from_slice(p);
    }
    if Sha256::digest(&value[..])[..] != header.sha256[..] {
        return Err(Error::StoreCorrupted(
            "parts do not match their header (torn write?)".into(),
        ));
    }
    Ok(value)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: &[u8], limit: Option<usize>) -> Vec<usize> {
        let entries = split(value, limit, 1);
        if let Some(l) = limit {
            for e in &entries {
                assert!(
                    e.len() <= l.max(MAX_HEADER + 1),
                    "entry of {} bytes over the limit {l}",
                    e.len()
                );
            }
        }
        let back = match parse_header(&entries[0]).unwrap() {
            None => entries[0].clone(),
            Some(h) => {
                let mut parts = vec![Zeroizing::new(entries[0][h.body_offset..].to_vec())];
                parts.extend(entries[1..].iter().cloned());
                join(&h, &parts).unwrap()
            }
        };
        assert_eq!(&back[..], value);
        entries.iter().map(|e| e.len()).collect()
    }

    #[test]
    fn values_that_fit_are_stored_whole() {
        assert_eq!(round_trip(b"{\"v\":1}", Some(WINDOWS_BLOB_LIMIT)), [7]);
        assert_eq!(round_trip(&[b'x'; 2560], Some(WINDOWS_BLOB_LIMIT)), [2560]);
        assert_eq!(round_trip(&[b'x'; 100_000], None), [100_000]);
        assert_eq!(round_trip(b"", Some(10)), [0]);
    }

    #[test]
    fn values_over_the_windows_limit_are_split_within_it() {
        for len in [2561, 5000, 5120, 7680, 20_000] {
            let value: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
            let sizes = round_trip(&value, Some(WINDOWS_BLOB_LIMIT));
            assert!(sizes.len() >= 2, "{len}: {sizes:?}");
            assert!(
                sizes.iter().all(|&s| s <= WINDOWS_BLOB_LIMIT),
                "{len}: {sizes:?}"
            );
        }
    }

    #[test]
    fn a_value_starting_with_nul_always_gets_a_header() {
        let sizes = round_trip(b"\0abc", Some(WINDOWS_BLOB_LIMIT));
        assert_eq!(sizes.len(), 1);
        assert!(parse_header(&split(b"\0abc", None, 1)[0])
            .unwrap()
            .is_some());
    }

    #[test]
    fn damaged_chunks_are_corrupted_not_wrong() {
        let value: Vec<u8> = (0..6000).map(|i| (i % 200) as u8 + 1).collect();
        let entries = split(&value, Some(WINDOWS_BLOB_LIMIT), 7);
        let h = parse_header(&entries[0]).unwrap().unwrap();
        let first = Zeroizing::new(entries[0][h.body_offset..].to_vec());
        // A part from another write.
        let mut mixed = vec![
            first.clone(),
            entries[1].clone(),
            Zeroizing::new(vec![7u8; entries[2].len()]),
        ];
        assert_eq!(join(&h, &mixed).unwrap_err().code(), "store_corrupted");
        // A missing part.
        mixed.pop();
        assert_eq!(join(&h, &mixed).unwrap_err().code(), "store_corrupted");
        // Malformed headers.
        for bad in [
            &b"\0tv-chunks:1:"[..],
            b"\0tv-chunks:1:x:00\n",
            b"\0tv-chunks:1:0:0000000000000000000000000000000000000000000000000000000000000000\n",
            b"\0tv-chunks:1:999:0000000000000000000000000000000000000000000000000000000000000000\n",
            b"\0tv-chunks:1:2:zz00000000000000000000000000000000000000000000000000000000000000\n",
            b"\0tv-chunks:2:2:0000000000000000000000000000000000000000000000000000000000000000\n",
            b"\0tv-chunks:2:x:2:0000000000000000000000000000000000000000000000000000000000000000\n",
            b"\0tv-chunks:2::2:0000000000000000000000000000000000000000000000000000000000000000\n",
        ] {
            assert_eq!(
                parse_header(bad).unwrap_err().code(),
                "store_corrupted",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn headers_carry_the_generation_and_the_first_format_still_reads() {
        let value = vec![b'x'; 3000];
        let entries = split(&value, Some(WINDOWS_BLOB_LIMIT), 42);
        let h = parse_header(&entries[0]).unwrap().unwrap();
        assert_eq!((h.generation, h.count), (Some(42), 2));
        assert_eq!(part_key("p/a", h.generation, 1), "p/a#42.1");
        let digest = hex(&Sha256::digest(&value));
        let v1 = format!("\0tv-chunks:1:2:{digest}\n");
        let h = parse_header(v1.as_bytes()).unwrap().unwrap();
        assert_eq!((h.generation, h.count), (None, 2));
        assert_eq!(part_key("p/a", h.generation, 1), "p/a#1");
    }
}
