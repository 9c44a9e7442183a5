//! The LiveAPI wire protocol: framing ([`codec`]), reply frames ([`frame`])
//! what a payload asks for ([`request`]), and keeping its values secret
//! ([`secrets`]).

pub mod client;
pub mod codec;
pub mod frame;
pub mod request;

pub use codec::{Inbound, LiveApiCodec};
pub use frame::ReplyFrame;
pub use request::{Action, ApiVersion, RawArgs, ReqType, Request};
