//! Checking an account's system password through PAM (service
//! `liveapid`, shipped as `packaging/pam.d/liveapid`): `pam_authenticate`
//! then `pam_acct_mgmt`, so an expired or locked account is refused too.
//!
//! libpam is reached through its stable C interface, declared here (four
//! functions and the conversation structures of `<security/pam_appl.h>`);
//! it is linked as `libpam.so.0`, which every Linux system with PAM has,
//! so building needs no development package. Each check blocks (PAM
//! modules may sleep or ask another process): call it on a blocking thread.

use std::ffi::{c_char, c_int, c_void, CString};

/// The PAM service name.
pub const SERVICE: &str = "liveapid";

const PAM_SUCCESS: c_int = 0;
const PAM_BUF_ERR: c_int = 5;
const PAM_CONV_ERR: c_int = 19;
const PAM_PROMPT_ECHO_OFF: c_int = 1;
const PAM_ERROR_MSG: c_int = 3;
const PAM_TEXT_INFO: c_int = 4;
const PAM_SILENT: c_int = 0x8000;
const PAM_DISALLOW_NULL_AUTHTOK: c_int = 0x0001;
/// More messages than any module sends at once.
const MAX_MESSAGES: c_int = 32;

#[repr(C)]
struct PamMessage {
    msg_style: c_int,
    msg: *const c_char,
}

#[repr(C)]
struct PamResponse {
    resp: *mut c_char,
    resp_retcode: c_int,
}

type Converse = unsafe extern "C" fn(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata_ptr: *mut c_void,
) -> c_int;

#[repr(C)]
struct PamConv {
    conv: Option<Converse>,
    appdata_ptr: *mut c_void,
}

#[repr(C)]
struct PamHandle {
    _opaque: [u8; 0],
}

#[link(name = "libpam.so.0", kind = "dylib", modifiers = "+verbatim")]
extern "C" {
    fn pam_start(
        service_name: *const c_char,
        user: *const c_char,
        pam_conversation: *const PamConv,
        pamh: *mut *mut PamHandle,
    ) -> c_int;
    fn pam_authenticate(pamh: *mut PamHandle, flags: c_int) -> c_int;
    fn pam_acct_mgmt(pamh: *mut PamHandle, flags: c_int) -> c_int;
    fn pam_end(pamh: *mut PamHandle, pam_status: c_int) -> c_int;
}

/// Answers every password prompt with the password `appdata` points to
/// (a `CString`); information messages get empty answers; anything else
/// (a prompt for something we do not have) ends the conversation.
///
/// # Safety
///
/// Called by libpam only, with `msg` pointing to `num_msg` message
/// pointers and `appdata` to the `CString` given to `pam_start`.
unsafe extern "C" fn converse(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int {
    if !(1..=MAX_MESSAGES).contains(&num_msg)
        || msg.is_null()
        || resp.is_null()
        || appdata.is_null()
    {
        return PAM_CONV_ERR;
    }
    let count = num_msg as usize;
    // SAFETY: appdata is the CString `authenticate` passed, alive for the
    // whole pam_start..pam_end span this callback runs in.
    let password = unsafe { &*(appdata as *const CString) };
    // SAFETY: calloc of count elements; libpam frees the array and each
    // resp with free(), so they must come from malloc.
    let replies =
        unsafe { libc::calloc(count, std::mem::size_of::<PamResponse>()) } as *mut PamResponse;
    if replies.is_null() {
        return PAM_BUF_ERR;
    }
    for i in 0..count {
        // SAFETY: Linux-PAM passes an array of `count` message pointers;
        // `replies` has `count` zeroed elements.
        let (style, reply) = unsafe { ((**msg.add(i)).msg_style, &mut *replies.add(i)) };
        match style {
            PAM_PROMPT_ECHO_OFF => {
                // SAFETY: strdup of a NUL-terminated string (malloc'd, for libpam to free).
                reply.resp = unsafe { libc::strdup(password.as_ptr()) };
                if reply.resp.is_null() {
                    // SAFETY: the replies made so far are ours to free.
                    unsafe { free_replies(replies, count) };
                    return PAM_BUF_ERR;
                }
            }
            PAM_ERROR_MSG | PAM_TEXT_INFO => {}
            _ => {
                // SAFETY: as above.
                unsafe { free_replies(replies, count) };
                return PAM_CONV_ERR;
            }
        }
    }
    // SAFETY: resp is libpam's out-pointer.
    unsafe { *resp = replies };
    PAM_SUCCESS
}

/// Wipes and frees a reply array that is not handed to libpam.
///
/// # Safety
///
/// `replies` is a calloc'd array of `count` replies whose `resp` fields
/// are null or strdup'd strings.
unsafe fn free_replies(replies: *mut PamResponse, count: usize) {
    for i in 0..count {
        // SAFETY: within the array, per the contract.
        let reply = unsafe { &mut *replies.add(i) };
        if !reply.resp.is_null() {
            // SAFETY: a NUL-terminated string we strdup'd: wipe, then free.
            unsafe {
                let len = libc::strlen(reply.resp);
                std::ptr::write_bytes(reply.resp, 0, len);
                libc::free(reply.resp.cast());
            }
        }
    }
    // SAFETY: the calloc'd array itself.
    unsafe { libc::free(replies.cast()) };
}

/// Whether PAM accepts `password` for the system user `user` (and lets the
/// account in). Blocks.
pub fn authenticate(user: &str, password: &str) -> bool {
    let (Ok(service), Ok(user)) = (CString::new(SERVICE), CString::new(user)) else {
        return false;
    };
    if password.as_bytes().contains(&0) {
        return false;
    }
    // Sized for the NUL, so CString::new never moves (and leaves behind) the bytes.
    let mut bytes = Vec::with_capacity(password.len() + 1);
    bytes.extend_from_slice(password.as_bytes());
    let Ok(password) = CString::new(bytes) else {
        return false;
    };
    // Wiped when done (CString's own drop only frees).
    let password = WipedCString(password);
    let conversation = PamConv {
        conv: Some(converse),
        appdata_ptr: (&password.0 as *const CString).cast_mut().cast(),
    };
    let mut handle: *mut PamHandle = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; libpam copies the
    // service and user names and keeps the conversation pointer until
    // pam_end, before which `conversation` and `password` stay alive.
    let started = unsafe { pam_start(service.as_ptr(), user.as_ptr(), &conversation, &mut handle) };
    if started != PAM_SUCCESS || handle.is_null() {
        return false;
    }
    let flags = PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK;
    // SAFETY: `handle` came from a successful pam_start and is ended once below.
    let mut status = unsafe { pam_authenticate(handle, flags) };
    if status == PAM_SUCCESS {
        // SAFETY: as above.
        status = unsafe { pam_acct_mgmt(handle, flags) };
    }
    // SAFETY: as above; the handle is not used again.
    unsafe { pam_end(handle, status) };
    status == PAM_SUCCESS
}

struct WipedCString(CString);

impl Drop for WipedCString {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes_with_nul();
        zeroize::Zeroize::zeroize(&mut bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_users_and_nul_bytes_are_refused() {
        assert!(!authenticate("no-such-user-liveapid", "whatever-1234"));
        assert!(!authenticate("root", "a\0b"));
    }
}
