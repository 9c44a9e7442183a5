//! The byte-exact exchanges of tests/golden/ (docs/protocol.md), read from the golden
//! files that the Perl and PHP suites read too.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{Client, Daemon, ScratchAccount};
use liveapid::protocol::{Inbound, ReplyFrame};
use serde_json::Value;

fn vectors() -> HashMap<String, Vec<u8>> {
    let text = std::fs::read_to_string(common::repo().join("tests/golden/vectors.json")).unwrap();
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    list.into_iter()
        .map(|v| {
            let bytes = v["bytes"].as_str().unwrap().as_bytes().to_vec();
            assert_eq!(
                bytes.len() as u64,
                v["length"].as_u64().unwrap(),
                "{}",
                v["id"]
            );
            (v["id"].as_str().unwrap().to_owned(), bytes)
        })
        .collect()
}

fn exchanges() -> Value {
    let text = std::fs::read_to_string(common::repo().join("tests/golden/exchanges.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn liveapid_replays_every_exchange_byte_for_byte() {
    let vectors = vectors();
    let account = ScratchAccount::new(&[]);
    let real = Daemon::serve(&account, &[]);
    let dave_socket = account.dir.path().join("dave.sock");
    let dave = Daemon::serve_at(&account, &dave_socket, Path::new("/home/dave"), &[]);
    let exchanges = exchanges();
    let replays = exchanges["replay"].as_array().unwrap();
    assert!(replays.len() >= 13);
    for exchange in replays {
        let name = exchange["name"].as_str().unwrap();
        let daemon = if exchange.get("home").is_some() {
            &dave
        } else {
            &real
        };
        let mut client = Client::raw(&daemon.socket);
        let switch = &vectors["1-client-1"];
        client.send(switch);
        assert_eq!(client.read_frame(), vectors["1-server-1"], "{name}: switch");
        if exchange["send"] == "1-client-1" {
            continue;
        }
        client.send(&vectors[exchange["send"].as_str().unwrap()]);
        let expected = &vectors[exchange["expect"].as_str().unwrap()];
        let got = client.read_frame();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
            "{name}"
        );
        if exchange["then_close"] == true {
            assert!(client.is_closed(), "{name}: must close");
        }
    }
    // The three passwd_pop vectors set the same password; it must verify.
    assert!(common::libxcrypt_verifies(
        "n3w/Pass&word",
        &account.hash_of("user", "example.com")
    ));
}

#[test]
fn the_frame_encoder_reproduces_every_server_vector() {
    let vectors = vectors();
    let exchanges = exchanges();
    for id in exchanges["encode"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        let expected = &vectors[id];
        let text = std::str::from_utf8(expected).unwrap();
        let json = &text["<?xml version=\"1.0\" ?>\n<cpanelresult>".len()
            ..text.len() - "</cpanelresult>\n".len()];
        let value: Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            String::from_utf8(ReplyFrame::new(&value).to_bytes()).unwrap(),
            text,
            "{id}"
        );
    }
}

#[test]
fn the_keepalive_vectors_are_a_frame_split_after_its_declaration() {
    let vectors = vectors();
    let last = std::str::from_utf8(&vectors["11-server-3"]).unwrap();
    let json = &last["<cpanelresult>".len()..last.len() - "</cpanelresult>\n".len()];
    let frame = ReplyFrame::new(&serde_json::from_str(json).unwrap());
    assert_eq!(
        vectors["11-server-1"],
        liveapid::protocol::frame::XML_DECLARATION
    );
    assert_eq!(vectors["11-server-2"], b"\n");
    assert_eq!(frame.after_keepalive().to_bytes(), vectors["11-server-3"]);
}

#[test]
fn every_client_vector_is_understood() {
    use liveapid::protocol::{LiveApiCodec, Request};
    use tokio_util::codec::Decoder;
    for (id, bytes) in vectors()
        .into_iter()
        .filter(|(id, _)| id.contains("-client-"))
    {
        let mut codec = LiveApiCodec::default();
        let mut buf = bytes::BytesMut::from(&bytes[..]);
        let Some(Inbound::Request(payload)) = codec.decode(&mut buf).unwrap() else {
            panic!("{id}: incomplete or refused");
        };
        assert!(
            buf.is_empty(),
            "{id}: the length must cover the payload exactly"
        );
        let request = Request::parse(&payload);
        assert!(
            !matches!(request, Request::NoValidCommand),
            "{id}: {request:?}"
        );
    }
}
