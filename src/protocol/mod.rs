//! The LiveAPI wire protocol: framing ([`codec`]), reply frames ([`frame`])
//! and what a payload asks for ([`request`]).

pub mod client;
pub mod codec;
pub mod frame;
pub mod request;

pub use codec::{Inbound, LiveApiCodec};
pub use frame::ReplyFrame;
pub use request::{Action, ApiVersion, RawArgs, ReqType, Request};
