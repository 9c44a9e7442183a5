//! The LiveAPI wire protocol: framing ([`codec`]), reply frames ([`frame`]),
//! what a payload asks for ([`request`]), and a client of the socket
//! ([`client`]). Its values are kept secret by [`crate::secrets`].

pub mod client;
pub mod codec;
pub mod frame;
pub mod request;

pub use codec::{Inbound, LiveApiCodec};
pub use frame::ReplyFrame;
pub use request::{Action, ApiVersion, RawArgs, ReqType, Request};
