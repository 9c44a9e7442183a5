//! Property tests of what a client's bytes meet first: the request decoder
//! ([`LiveApiCodec`]) and the payload parser ([`Request::parse`]), on
//! arbitrary bytes cut into arbitrary reads. Never a panic, never more
//! buffered than one request may hold, and the same items however the
//! bytes arrive. The case counts keep this file to a few seconds.

use bytes::BytesMut;
use liveapid::protocol::codec::MAX_LENGTH_LINE;
use liveapid::protocol::{Inbound, LiveApiCodec, RawArgs, Request};
use proptest::prelude::*;
use serde_json::{Map, Value};
use tokio_util::codec::Decoder;

/// A small cap, so that arbitrary input often goes over it.
const MAX_PAYLOAD: usize = 64;

/// What the decoder produced, comparable across runs.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Request(Vec<u8>),
    Oversized {
        len: u64,
        max: usize,
    },
    /// The session ended with this error; nothing follows.
    Error(String),
}

/// Feeds `bytes` to a fresh codec in reads cut at `cuts` (offsets, any
/// order, out of range ones ignored), decoding all it can after each read
/// and at EOF, as `Framed` does. Checks the buffer bound after every read.
fn decode(bytes: &[u8], cuts: &[usize]) -> Vec<Item> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    let mut codec = LiveApiCodec::new(MAX_PAYLOAD);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    let push =
        |result: Result<Option<Inbound>, liveapid::Error>, items: &mut Vec<Item>| match result {
            Ok(Some(Inbound::Request(payload))) => {
                assert!(payload.len() <= MAX_PAYLOAD, "a request over the cap");
                items.push(Item::Request(payload.to_vec()));
                true
            }
            Ok(Some(Inbound::Oversized { len, max })) => {
                items.push(Item::Oversized { len, max });
                true
            }
            Ok(None) => false,
            Err(e) => {
                items.push(Item::Error(e.to_string()));
                false
            }
        };
    for read in points.windows(2) {
        buf.extend_from_slice(&bytes[read[0]..read[1]]);
        while push(codec.decode(&mut buf), &mut items) {}
        if matches!(items.last(), Some(Item::Error(_))) {
            return items;
        }
        // Only a partial request is left: a length line or a payload.
        assert!(
            buf.len() <= MAX_LENGTH_LINE + MAX_PAYLOAD,
            "{} bytes held",
            buf.len()
        );
    }
    while push(codec.decode_eof(&mut buf), &mut items) {}
    assert!(buf.is_empty(), "EOF leaves nothing buffered");
    items
}

/// A stream of framed requests: `(declared length, payload)`; a payload
/// over the cap is sent in full and must be skipped.
fn framed(requests: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for payload in requests {
        out.extend_from_slice(format!("{}\n", payload.len()).as_bytes());
        out.extend_from_slice(payload);
    }
    out
}

fn expected(requests: &[Vec<u8>]) -> Vec<Item> {
    requests
        .iter()
        .map(|p| {
            if p.len() <= MAX_PAYLOAD {
                Item::Request(p.clone())
            } else {
                Item::Oversized {
                    len: p.len() as u64,
                    max: MAX_PAYLOAD,
                }
            }
        })
        .collect()
}

/// Bytes that look like the protocol often enough to reach every state.
fn protocolish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        (0usize..200).prop_map(|n| format!("{n}\n").into_bytes()),
        Just(b"\n".to_vec()),
        Just(b" \r".to_vec()),
        Just(b"99999999999999999999999\n".to_vec()),
        Just(b"<cpanelaction>".to_vec()),
        prop::collection::vec(any::<u8>(), 0..80),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_bytes_decode_the_same_however_they_are_split(bytes in protocolish(), cuts in cuts()) {
        let whole = decode(&bytes, &[]);
        let split = decode(&bytes, &cuts);
        prop_assert_eq!(&split, &whole);
        let bytewise: Vec<usize> = (0..bytes.len()).collect();
        prop_assert_eq!(&decode(&bytes, &bytewise), &whole);
    }

    #[test]
    fn framed_requests_come_out_one_for_one(
        requests in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..150), 0..8),
        cuts in cuts(),
    ) {
        prop_assert_eq!(decode(&framed(&requests), &cuts), expected(&requests));
    }

    #[test]
    fn parse_never_panics_and_debug_never_fails(bytes in protocolish()) {
        let request = Request::parse(&bytes);
        let _ = format!("{request:?}");
        prop_assert_eq!(Request::parse(&bytes), request);
    }

    #[test]
    fn parse_of_any_action_body_never_panics(body in any::<String>(), pad in "[ \t\r\n]{0,3}") {
        let payload = format!("{pad}<cpanelaction>{body}</cpanelaction>");
        let _ = format!("{:?}", Request::parse(payload.as_bytes()));
        // Latin-1 (not UTF-8) payloads go the other decoding path.
        let mut latin1 = payload.into_bytes();
        latin1.push(0xff);
        let _ = format!("{:?}", Request::parse(&latin1));
    }

    #[test]
    fn action_args_arrive_as_sent_and_debug_hides_every_value(
        args in prop::collection::btree_map("[a-z_]{1,12}", "[A-Za-z0-9!#/&<>\"\\\\ ]{8,24}", 0..6),
        func in "[a-z_]{1,16}",
    ) {
        let object: Map<String, Value> =
            args.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let action = serde_json::json!({"module": "Email", "func": func, "apiversion": 3, "args": object});
        let payload = format!("<cpanelaction>\n{action}\n</cpanelaction>");
        let Request::Action(parsed) = Request::parse(payload.as_bytes()) else {
            return Err(TestCaseError::fail(format!("not an action: {payload}")));
        };
        prop_assert_eq!(&parsed.func, &func);
        prop_assert_eq!(&parsed.args, &RawArgs::Object(object));
        let shown = format!("{parsed:?}");
        for value in args.values() {
            prop_assert!(!shown.contains(value.as_str()), "{} in {}", value, shown);
        }
    }
}
