//! HTTP body encodings for ACP calls, client side.
//!
//! ACP takes its parameters as `application/x-www-form-urlencoded` or `multipart/form-data`
//! (the ACP Shipper API document, "Transport"). Small calls use [`form_urlencode`]: every byte outside
//! the RFC 3986 unreserved set is percent-encoded, so `+ % ? = & #` in values can never be misread.
//! Large ones (a createManifest `data` of up to ~50 MB, mostly base64) use [`Multipart`]: urlencoding would
//! inflate base64 by ~6% (`+`, `/`, `=` become 3 bytes each) and cost another full copy, while multipart
//! sends the `data` bytes as they are. [`MultipartBody`] is a `std::io::Read` over a few small header
//! buffers and the borrowed (or owned) `data` bytes, with an exact [`MultipartBody::content_length`], so the
//! XML is streamed to the socket, never copied into a second body buffer.

use std::borrow::Cow;
use std::io::{self, Read};

use rand::distributions::Alphanumeric;
use rand::Rng;

/// `application/x-www-form-urlencoded` body of `pairs`, in order: UTF-8, every byte other than
/// `A-Z a-z 0-9 - . _ ~` percent-encoded (space as `%20`).
pub fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    let len: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = Vec::with_capacity(len + len / 2);
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        percent_encode_into(&mut out, key);
        out.push(b'=');
        percent_encode_into(&mut out, value);
    }
    // Only ASCII was written: the conversion cannot fail, and would lose nothing if it did.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends `text` percent-encoded: runs of unreserved bytes are copied whole, each other byte as `%XX`.
fn percent_encode_into(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = text.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]]);
        run = i + 1;
    }
    out.extend_from_slice(&bytes[run..]);
}

/// The content type of the `data` part.
pub const DATA_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// A `multipart/form-data` encoder with its boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    boundary: String,
}

impl Default for Multipart {
    fn default() -> Self {
        Multipart::new()
    }
}

impl Multipart {
    /// A random boundary: `----mawb` and 24 random letters and digits. `-` is not in the base64 alphabet,
    /// so the boundary cannot occur in attachment data, and 24 random alphanumerics (~143 bits) cannot
    /// plausibly occur in the XML text around it.
    pub fn new() -> Multipart {
        let random: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(24)
            .map(char::from)
            .collect();
        Multipart {
            boundary: format!("----mawb{random}"),
        }
    }

    /// A fixed boundary, for reproducible bodies in tests. It must not occur in any part.
    pub fn with_boundary(boundary: impl Into<String>) -> Multipart {
        Multipart {
            boundary: boundary.into(),
        }
    }

    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The `Content-Type` header value of the body.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The body: one text part per parameter, in order, then (when given) the `data` part with
    /// `Content-Type: text/xml; charset=utf-8`. `data` is borrowed or moved in, never copied.
    pub fn body<'a>(
        &self,
        params: &[(&str, &str)],
        data: Option<Cow<'a, [u8]>>,
    ) -> MultipartBody<'a> {
        let mut head = Vec::with_capacity(128 * (params.len() + 1));
        for (name, value) in params {
            self.part_header(&mut head, name, None);
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        let mut segments = Vec::with_capacity(3);
        if let Some(data) = data {
            self.part_header(&mut head, "data", Some(DATA_CONTENT_TYPE));
            segments.push(Cow::Owned(head));
            segments.push(data);
            let mut tail = b"\r\n".to_vec();
            self.closing(&mut tail);
            segments.push(Cow::Owned(tail));
        } else {
            self.closing(&mut head);
            segments.push(Cow::Owned(head));
        }
        let length = segments.iter().map(|s| s.len() as u64).sum();
        MultipartBody {
            segments,
            index: 0,
            pos: 0,
            length,
        }
    }

    fn part_header(&self, out: &mut Vec<u8>, name: &str, content_type: Option<&str>) {
        out.extend_from_slice(b"--");
        out.extend_from_slice(self.boundary.as_bytes());
        out.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        // As browsers do (HTML spec): quote, CR and LF percent-encoded inside the quoted name.
        for b in name.bytes() {
            match b {
                b'"' => out.extend_from_slice(b"%22"),
                b'\r' => out.extend_from_slice(b"%0D"),
                b'\n' => out.extend_from_slice(b"%0A"),
                _ => out.push(b),
            }
        }
        out.push(b'"');
        if let Some(ct) = content_type {
            out.extend_from_slice(b"\r\nContent-Type: ");
            out.extend_from_slice(ct.as_bytes());
        }
        out.extend_from_slice(b"\r\n\r\n");
    }

    fn closing(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"--");
        out.extend_from_slice(self.boundary.as_bytes());
        out.extend_from_slice(b"--\r\n");
    }
}

/// A multipart body as a reader: small header buffers and the `data` bytes, read in order.
#[derive(Clone)]
pub struct MultipartBody<'a> {
    segments: Vec<Cow<'a, [u8]>>,
    index: usize,
    pos: usize,
    length: u64,
}

/// Lengths only: the body holds the `apikey` and up to 50 MB of XML, neither belongs in a log.
impl std::fmt::Debug for MultipartBody<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultipartBody")
            .field(
                "segment_lengths",
                &self.segments.iter().map(|s| s.len()).collect::<Vec<_>>(),
            )
            .field("content_length", &self.length)
            .field("read_segment", &self.index)
            .field("read_offset", &self.pos)
            .finish()
    }
}

impl MultipartBody<'_> {
    /// The exact length of the whole body in bytes (the `Content-Length` header), whatever was read.
    pub fn content_length(&self) -> u64 {
        self.length
    }
}

impl Read for MultipartBody<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < buf.len() {
            let Some(segment) = self.segments.get(self.index) else {
                break;
            };
            let rest = &segment[self.pos..];
            let n = rest.len().min(buf.len() - written);
            buf[written..written + n].copy_from_slice(&rest[..n]);
            written += n;
            self.pos += n;
            if self.pos == segment.len() {
                self.index += 1;
                self.pos = 0;
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A tiny urlencoded decoder: `&`-separated `k=v`, `%XX` and `+` decoded.
    fn url_decode(body: &str) -> Vec<(String, String)> {
        fn dec(s: &str) -> String {
            let b = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'%' => {
                        out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                        i += 3;
                    }
                    b'+' => {
                        out.push(b' ');
                        i += 1;
                    }
                    c => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            String::from_utf8(out).unwrap()
        }
        if body.is_empty() {
            return Vec::new();
        }
        body.split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (dec(k), dec(v))
            })
            .collect()
    }

    /// A tiny multipart decoder: (name, content type, bytes) per part; checks the framing strictly.
    fn multipart_decode(body: &[u8], boundary: &str) -> Vec<(String, Option<String>, Vec<u8>)> {
        let delim = format!("--{boundary}");
        let closing = format!("--{boundary}--\r\n");
        assert!(
            body.ends_with(closing.as_bytes()),
            "body must end with the closing delimiter"
        );
        let body = &body[..body.len() - closing.len()];
        let mut parts = Vec::new();
        let mut rest = body;
        let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
        while !rest.is_empty() {
            assert!(rest.starts_with(delim.as_bytes()));
            rest = &rest[delim.len()..];
            assert!(rest.starts_with(b"\r\n"));
            rest = &rest[2..];
            let head_end = find(rest, b"\r\n\r\n").unwrap();
            let head = std::str::from_utf8(&rest[..head_end]).unwrap();
            rest = &rest[head_end + 4..];
            let next = find(rest, format!("\r\n{delim}").as_bytes()).unwrap_or(rest.len() - 2);
            let content = rest[..next].to_vec();
            rest = &rest[next + 2..];
            let mut name = None;
            let mut ct = None;
            for line in head.split("\r\n") {
                if let Some(v) = line.strip_prefix("Content-Disposition: form-data; name=\"") {
                    name = Some(v.strip_suffix('"').unwrap().to_string());
                } else if let Some(v) = line.strip_prefix("Content-Type: ") {
                    ct = Some(v.to_string());
                } else {
                    panic!("unexpected header {line:?}");
                }
            }
            parts.push((name.unwrap(), ct, content));
        }
        parts
    }

    fn read_all(mut body: MultipartBody<'_>, chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = body.read(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn urlencode_reserved_chars() {
        let body = form_urlencode(&[
            ("apikey", "a+b%c?d=e&f#g h/é"),
            ("command", "createMailing"),
        ]);
        assert_eq!(
            body,
            "apikey=a%2Bb%25c%3Fd%3De%26f%23g%20h%2F%C3%A9&command=createMailing"
        );
        assert_eq!(form_urlencode(&[]), "");
        assert_eq!(
            form_urlencode(&[("data", "<a>&amp;</a>")]),
            "data=%3Ca%3E%26amp%3B%3C%2Fa%3E"
        );
    }

    #[test]
    fn multipart_exact_bytes() {
        let mp = Multipart::with_boundary("XyZ");
        let body = mp.body(
            &[("command", "getManifest")],
            Some(Cow::Borrowed(b"<x/>".as_slice())),
        );
        let want = "--XyZ\r\nContent-Disposition: form-data; name=\"command\"\r\n\r\ngetManifest\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"data\"\r\nContent-Type: text/xml; charset=utf-8\r\n\r\n<x/>\r\n\
                    --XyZ--\r\n";
        assert_eq!(body.content_length(), want.len() as u64);
        assert_eq!(read_all(body, 5), want.as_bytes());
        assert_eq!(mp.content_type(), "multipart/form-data; boundary=XyZ");
        let secret = mp.body(&[("apikey", "s3cret")], None);
        assert!(
            !format!("{secret:?}").contains("s3cret"),
            "Debug must not show part contents"
        );
    }

    #[test]
    fn multipart_boundary_is_random_and_outside_base64() {
        let a = Multipart::new();
        let b = Multipart::default();
        assert_ne!(a.boundary(), b.boundary());
        let rand_part = a.boundary().strip_prefix("----mawb").unwrap();
        assert_eq!(rand_part.len(), 24);
        assert!(rand_part.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert!(a.content_type().ends_with(a.boundary()));
    }

    #[test]
    fn multipart_without_data_and_owned_data() {
        let mp = Multipart::with_boundary("b0");
        let body = mp.body(&[("command", "closeDay"), ("label", "1")], None);
        let len = body.content_length();
        let bytes = read_all(body, 1);
        assert_eq!(bytes.len() as u64, len);
        let parts = multipart_decode(&bytes, "b0");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], ("label".into(), None, b"1".to_vec()));

        let owned: MultipartBody<'static> = mp.body(&[], Some(Cow::Owned(vec![1, 2, 3])));
        assert_eq!(
            multipart_decode(&read_all(owned, 64), "b0"),
            vec![("data".into(), Some(DATA_CONTENT_TYPE.into()), vec![1, 2, 3])]
        );
    }

    #[test]
    fn multipart_streams_large_data_without_copying_it_into_the_body() {
        let data = vec![b'A'; 3 * 1024 * 1024 + 7];
        let mp = Multipart::new();
        let body = mp.body(&[("command", "createManifest")], Some(Cow::Borrowed(&data)));
        // The body holds the data by reference: its only owned buffers are the small headers.
        assert!(body
            .segments
            .iter()
            .all(|s| matches!(s, Cow::Owned(v) if v.len() < 512) || matches!(s, Cow::Borrowed(_))));
        let len = body.content_length();
        let bytes = read_all(body, 64 * 1024);
        assert_eq!(bytes.len() as u64, len);
        let parts = multipart_decode(&bytes, mp.boundary());
        assert_eq!(parts[1].2, data);
    }

    proptest! {
        #[test]
        fn urlencode_round_trips(pairs in proptest::collection::vec((any::<String>(), any::<String>()), 0..5)) {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let body = form_urlencode(&borrowed);
            prop_assert!(body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%=&".contains(&b)));
            prop_assert_eq!(url_decode(&body), pairs);
        }

        #[test]
        fn multipart_round_trips(
            params in proptest::collection::vec(("[a-zA-Z]{1,10}", any::<String>()), 0..4),
            data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..3000)),
            chunk in 1usize..5000,
        ) {
            let mp = Multipart::new();
            let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let body = mp.body(&borrowed, data.as_deref().map(Cow::Borrowed));
            let len = body.content_length();
            let bytes = read_all(body, chunk);
            prop_assert_eq!(bytes.len() as u64, len);
            let mut want: Vec<(String, Option<String>, Vec<u8>)> =
                params.iter().map(|(k, v)| (k.clone(), None, v.as_bytes().to_vec())).collect();
            if let Some(d) = data {
                want.push(("data".into(), Some(DATA_CONTENT_TYPE.into()), d));
            }
            prop_assert_eq!(multipart_decode(&bytes, mp.boundary()), want);
        }
    }
}
