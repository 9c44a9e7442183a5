package Cpanel::LiveAPI;

use strict;
use warnings;

our $VERSION = '0.3';

use B ();
use Carp ();
use Encode ();
use IO::Socket::UNIX ();
use JSON::PP ();
use Scalar::Util ();
use Socket qw(SOCK_STREAM);
use Time::HiRes ();

# Same package variables as the official module: set them before new() to
# turn on debug logging for every object.
our $LIVEAPI_DEBUG_LOG;
our $LIVEAPI_DEBUG_LEVEL;

# The official client reads 32 768-byte chunks; keeping that size means the
# 32 KiB boundary case (docs/protocol.md C9: a reply of 32 768*k + 1 bytes whose
# final LF arrives in a later read) happens here too, and is handled.
use constant READ_CHUNK => 32768;

# Replies larger than this end the session instead of filling memory
# (cpanelgo's cap is 20 MiB; real replies are far smaller).
use constant MAX_REPLY_BYTES => 64 * 1024 * 1024;

# sockaddr_un holds 108 bytes including the terminating NUL.
use constant MAX_SOCKET_PATH_BYTES => 107;

# How long to wait for the final LF once '</cpanelresult>' has arrived. A
# conforming server writes the frame in one piece, so the LF is already
# there; the grace only costs time with a server that omits it.
use constant TRAILER_GRACE_SECONDS => 0.25;

# end() reads until the server closes; this bounds the wait for a server that
# never does (the official client hangs forever).
use constant END_DRAIN_SECONDS => 10;

# After a failed write, how long to wait for the frame in which the engine
# says why it closed (it is normally there already).
use constant CLOSING_FRAME_SECONDS => 1;

use constant CLOSE_TAG      => '</cpanelresult>';
use constant JSON_SWITCH    => '<cpaneljson enable="1">';
use constant SHUTDOWN       => '<cpanelxml shutdown="1" />';
use constant CLOSED_MESSAGE => 'The Live Socket has closed, unable to continue.';

# Argument names whose values never appear in the debug log or in error
# messages.
my $SECRET_KEY_RE = qr/pass|secret|token/i;
my $REDACTED      = '********';

# JSON::PP nests no deeper by default; the argument walk stops there too
# (which also ends a circular structure).
use constant MAX_DEPTH => 512;

# Requests: compact, no '/' escaping, key order sorted so the bytes are
# reproducible. It only ever sees byte strings (see _wire_data), and latin1
# makes it copy bytes 0x80..0xFF into the JSON text as they are: the output
# is exactly the bytes of the strings, UTF-8 or not.
my $REQUEST_JSON = JSON::PP->new->canonical(1)->latin1(1);

# A request payload parsed back (for the debug log): bytes in, byte strings
# out, whatever the bytes are.
my $PAYLOAD_JSON = JSON::PP->new;

# Replies: UTF-8 bytes in, Perl character strings out; _encode_strings then
# turns them into UTF-8 byte strings unless utf8_strings is set.
my $REPLY_JSON = JSON::PP->new->utf8(1);

# Debug log rendering of decoded (character) structures, as UTF-8 bytes.
my $LOG_JSON = JSON::PP->new->canonical(1)->allow_nonref(1)->allow_blessed(1)->utf8(1);

# JSON's two-character escapes, for finding a secret inside JSON text.
my %JSON_SHORT_ESCAPE = ( '"' => '"', '\\' => '\\', '/' => '/', "\b" => 'b', "\f" => 'f', "\n" => 'n', "\r" => 'r', "\t" => 't' );

my %KNOWN_OPTION = map { $_ => 1 } qw(socket timeout debug_level debug_log utf8_strings);

sub new {
    my ( $class, @args ) = @_;
    my %opts = ( @args == 1 && ref $args[0] eq 'HASH' ) ? %{ $args[0] } : @args;
    if ( my @unknown = grep { !$KNOWN_OPTION{$_} } sort keys %opts ) {
        Carp::croak( __PACKAGE__ . ": unknown option(s) to new(): @unknown" );
    }

    my $self = bless {
        connected     => 0,
        _rbuf         => '',
        _scan_from    => 0,
        _debug_level  => 0,
        _secrets      => [],
        _timeout      => $opts{timeout},
        _utf8_strings => $opts{utf8_strings} ? 1 : 0,
        _owner_pid    => $$,
    }, ref $class || $class;

    if ( defined $self->{_timeout} && !( Scalar::Util::looks_like_number( $self->{_timeout} ) && $self->{_timeout} > 0 ) ) {
        Carp::croak( __PACKAGE__ . ": timeout must be a positive number of seconds" );
    }

    my $debug_log = defined $opts{debug_log} ? $opts{debug_log} : $LIVEAPI_DEBUG_LOG;
    $self->{_debug_log} = $debug_log if defined $debug_log;
    my $debug_level = defined $opts{debug_level} ? $opts{debug_level} : $LIVEAPI_DEBUG_LEVEL;
    $self->set_debug($debug_level) if defined $debug_level;

    my $path = $self->_socket_path( $opts{socket} );
    $self->{_socket_path} = $path;

    my $socket = IO::Socket::UNIX->new( Type => SOCK_STREAM, Peer => $path );
    if ( !$socket ) {
        my $why = "$!";
        $self->debug_log( 1, "Cannot connect to the cPanel engine at $path: $why" );
        Carp::croak( __PACKAGE__ . ": cannot connect to the cPanel engine at $path: $why" );
    }
    binmode $socket;
    $self->{_cpanelfh} = $socket;
    $self->{connected} = 1;

    # The reply content is a fixed acknowledgement; reading it completely is
    # what matters, so the next reply starts on a frame boundary.
    $self->exec(JSON_SWITCH);

    return $self;
}

sub _socket_path {
    my ( $self, $explicit ) = @_;
    my $path = $explicit;
    if ( !defined $path || $path eq '' ) {
        ($path) = grep { defined && length } @ENV{qw(CPANEL_CONNECT_SOCKET CPANEL_PHPCONNECT_SOCKET)};
    }
    if ( !defined $path ) {
        Carp::croak( __PACKAGE__
              . ': no socket to connect to: neither CPANEL_CONNECT_SOCKET nor CPANEL_PHPCONNECT_SOCKET is set'
              . ' (run the script as a .live.pl page, or pass { socket => PATH })' );
    }
    my $path_bytes = utf8::is_utf8($path) ? Encode::encode( 'UTF-8', $path ) : $path;
    if ( length($path_bytes) > MAX_SOCKET_PATH_BYTES ) {
        Carp::croak( __PACKAGE__ . ': socket path is longer than ' . MAX_SOCKET_PATH_BYTES . " bytes: $path" );
    }
    if ( !-e $path ) {
        Carp::croak( __PACKAGE__ . ": socket $path does not exist (is the cPanel engine running?)" );
    }
    return $path;
}

# ---------------------------------------------------------------- debugging

sub set_debug {
    my ( $self, $debug_level ) = @_;

    if ( !defined $debug_level || $debug_level !~ /\A\s*[0-9]+\s*\z/ ) {
        syswrite( STDERR, __PACKAGE__ . "::set_debug given non-integer value, disabling debug logging\n" );
        $self->_close_debug_log;
        $self->{_debug_level} = 0;
        return 1;
    }
    $debug_level = int $debug_level;

    if ( $debug_level > 0 && !ref $self->{_debug_fh} ) {
        # Same default location as the official module and the PHP class.
        $self->{_debug_log} ||= ( getpwuid($>) )[7] . '/.cpanel/LiveAPI.log.' . int( rand(99999999) );
        my $fh;
        if ( !open( $fh, '>>', $self->{_debug_log} ) ) {
            Carp::carp( __PACKAGE__ . ": cannot open debug log $self->{_debug_log}: $!; debug logging stays off" );
            $self->{_debug_level} = 0;
            return 1;
        }
        binmode $fh;
        $self->{_debug_fh} = $fh;
    }
    elsif ( $debug_level == 0 ) {
        $self->_close_debug_log;
    }
    $self->{_debug_level} = $debug_level;
    return 1;
}

sub utf8_strings {
    my ($self) = @_;
    return $self->{_utf8_strings};
}

sub get_debug_log {
    my ($self) = @_;
    return $self->{_debug_log};
}

sub get_debug_level {
    my ($self) = @_;
    return $self->{_debug_level};
}

sub debug_log {
    my ( $self, $level, $log_msg, $stderr ) = @_;
    my $line = localtime() . ' ' . $log_msg . "\n";
    $line = Encode::encode( 'UTF-8', $line ) if utf8::is_utf8($line);
    syswrite( STDERR, $line ) if $stderr;
    if ( $level > 0 && $level <= ( $self->{_debug_level} || 0 ) && ref $self->{_debug_fh} ) {
        syswrite( $self->{_debug_fh}, $line );
    }
    return 1;
}

sub debug_log_json {
    my ( $self, $str ) = @_;
    my $decoder = utf8::is_utf8($str) ? $PAYLOAD_JSON : $REPLY_JSON;    # characters or UTF-8 bytes
    my $parsed  = eval { $decoder->decode($str) };
    my $log_msg = ref $parsed ? $LOG_JSON->encode( _redact($parsed) ) : 'Error decoding JSON string';
    $self->debug_log( 1, 'JSON_decode: ' . $log_msg );
    return 1;
}

sub _close_debug_log {
    my ($self) = @_;
    close( delete $self->{_debug_fh} ) if ref $self->{_debug_fh};
    return;
}

# ------------------------------------------------------------------ the API

sub api1 {
    my ( $self, @call ) = @_;
    return $self->api( 'exec', 1, @call );
}

sub api2 {
    my ( $self, @call ) = @_;
    return $self->api( 'exec', 2, @call );
}

sub api3 {
    my ( $self, @call ) = @_;
    return $self->api( 'exec', 3, @call );
}

sub uapi {
    my ( $self, @call ) = @_;
    return $self->api( 'exec', 'uapi', @call );
}

sub api {
    my ( $self, $reqtype, $version, $module, $func, $args ) = @_;
    $self->_ensure_usable;

    my %request = (
        module     => $module,
        reqtype    => $reqtype,
        func       => $func,
        apiversion => $version,
        ( defined $args ? ( args => $args ) : () ),
    );
    # Each string goes out according to its own UTF8 flag (see _wire_data),
    # so the JSON text is built from bytes and stays a byte string.
    my $json = eval { $REQUEST_JSON->encode( _wire_data( \%request ) ) };
    if ( !defined $json ) {
        my $why = $@;
        _croak_code_point( $why->{code_point} ) if ref $why eq 'HASH';
        $why = _without_location($why);
        my $call = join '::', map { defined $_ ? $_ : '' } $module, $func;
        Carp::croak( __PACKAGE__ . ": cannot encode the arguments of $call as JSON: $why" );
    }
    utf8::downgrade($json);    # a no-op: latin1 output holds bytes only
    return $self->exec( "<cpanelaction>\n" . $json . "\n</cpanelaction>" );
}

sub exec {
    my ( $self, $code, $skip_return ) = @_;
    $self->_ensure_usable;
    Carp::croak( __PACKAGE__ . ': exec() needs the request text to send' ) if !defined $code || $code eq '';
    my $reply = $self->_call($code);
    return if $skip_return;
    return $reply;
}

sub fetch {
    my ( $self, $var ) = @_;
    return $self->exec( '<cpanel print="' . $var . '">' );
}

sub cpanelprint {
    my ( $self, $var ) = @_;
    return _simple_result( $self->api1( 'print', '', $var ) );
}

sub cpanellangprint {
    my ( $self, $key ) = @_;
    return _simple_result( $self->api1( 'langprint', '', $key ) );
}

sub cpanelif {
    my ( $self, $code ) = @_;
    return _simple_result( $self->api( 'if', '1', 'if', 'if', $code ) );
}

sub cpanelfeature {
    my ( $self, $feature ) = @_;
    return _simple_result( $self->api( 'feature', '1', 'feature', 'feature', $feature ) );
}

sub header {
    my ( $self, $page_title ) = @_;
    return $self->_dom_part( 'header', $page_title );
}

sub footer {
    my ( $self, $page_title ) = @_;
    return $self->_dom_part( 'footer', $page_title );
}

sub _dom_part {
    my ( $self, $part, $page_title ) = @_;
    if ( !exists $self->{_dom} ) {
        my $reply  = $self->uapi( 'Chrome', 'get_dom', { page_title => defined $page_title ? $page_title : '' } );
        my $result = $reply->{cpanelresult}{result};
        if ( ref $result ne 'HASH' || !$result->{status} ) {
            my $errors = ref $result eq 'HASH' && ref $result->{errors} eq 'ARRAY' ? join( "\n", @{ $result->{errors} } ) : 'no UAPI result in the reply';
            Carp::croak( __PACKAGE__ . ": Chrome::get_dom failed: $errors" );
        }
        $self->{_dom} = $result->{data};
    }
    if ( ref $self->{_dom} ne 'HASH' || !exists $self->{_dom}{$part} ) {
        Carp::croak( __PACKAGE__ . ": no $part in the Chrome::get_dom response" );
    }
    return $self->{_dom}{$part};
}

# cpanelprint, cpanelif and cpanelfeature return cpanelresult.data.result
# (undef when the reply has no such field, e.g. an error reply).
sub _simple_result {
    my ($reply) = @_;
    my $data = $reply->{cpanelresult}{data};
    return ref $data eq 'HASH' ? $data->{result} : undef;
}

# ------------------------------------------------------------- end of session

sub end {
    my ($self) = @_;
    return 1 if !$self->{connected};

    # A forked child holds a copy of the parent's socket: sending the
    # shutdown from there would end the parent's session.
    if ( $self->{_owner_pid} == $$ ) {
        $self->debug_log( 1, '(exec) SEND:' . SHUTDOWN ) if $self->{_debug_level};
        my $sent = eval { $self->_write_all( length(SHUTDOWN) . "\n" . SHUTDOWN ); 1 };
        $self->_drain_to_eof if $sent;
    }
    $self->_disconnect;
    $self->_close_debug_log;
    return 1;
}

sub DESTROY {
    my ($self) = @_;
    local ( $@, $!, $?, $SIG{__DIE__} );
    eval { $self->end; 1 };
    return;
}

sub _drain_to_eof {
    my ($self) = @_;
    my $fh       = $self->{_cpanelfh};
    my $deadline = Time::HiRes::time() + END_DRAIN_SECONDS;
    while (1) {
        my $left = $deadline - Time::HiRes::time();
        last if $left <= 0 || !_wait_for( $fh, $left );
        my $n = sysread( $fh, my $discard, READ_CHUNK );
        next if !defined $n && $!{EINTR};
        last if !$n;    # EOF (the server closed) or a read error
    }
    return;
}

sub _disconnect {
    my ($self) = @_;
    my $fh = delete $self->{_cpanelfh};
    close $fh if $fh;
    $self->{connected} = 0;
    $self->{_rbuf}      = '';
    $self->{_scan_from} = 0;
    return;
}

sub _ensure_usable {
    my ($self) = @_;
    Carp::croak( __PACKAGE__ . ': ' . CLOSED_MESSAGE ) if !$self->{connected};
    if ( $self->{_owner_pid} != $$ ) {
        Carp::croak( __PACKAGE__ . ": this connection belongs to process $self->{_owner_pid}; create a new Cpanel::LiveAPI object in process $$" );
    }
    return;
}

# ------------------------------------------------------------ request/reply

# Sends one request and returns its decoded reply. Any failure closes the
# connection before dying, so no later call can pick up a late reply.
sub _call {
    my ( $self, $code ) = @_;

    # Like the official module, a byte string goes out as its bytes; a
    # character string (UTF8 flag on) goes out as UTF-8, where the official
    # module sent Latin-1 or died.
    my $payload = eval { _wire_string($code) };
    _croak_code_point( $@->{code_point} ) if ref $@ eq 'HASH';
    my ( $log_text, @secrets ) = _describe_request( $payload, $self->{_debug_level} );
    local $self->{_secrets} = \@secrets;

    $self->debug_log( 1, '(exec) SEND:' . $log_text ) if $self->{_debug_level};
    $self->_write_all( length($payload) . "\n" . $payload );

    my $frame = $self->_read_frame;
    my $reply = $self->_decode_frame($frame);
    if ( $self->{_debug_level} ) {
        $self->debug_log( 1, '(exec) RECV (' . length($frame) . ' bytes):' . _scrub( $LOG_JSON->encode( _redact($reply) ), @secrets ) );
    }

    # What cPanel gives scripts: UTF-8 byte strings.
    _encode_strings($reply) if !$self->{_utf8_strings};
    return $reply;
}

sub _write_all {
    my ( $self, $bytes ) = @_;
    my $fh = $self->{_cpanelfh};

    # A peer that has gone away must give an error, not kill the script.
    local $SIG{PIPE} = 'IGNORE';
    my $offset = 0;
    while ( $offset < length $bytes ) {
        if ( defined $self->{_timeout} && !_wait_for( $fh, $self->{_timeout}, 'write' ) ) {
            $self->_fail("timed out after $self->{_timeout} s while sending a request");
        }
        my $n = syswrite( $fh, $bytes, length($bytes) - $offset, $offset );
        if ( !defined $n ) {
            next if $!{EINTR};
            my $why = "$!";
            # The engine may have refused the request (too big) and closed
            # before reading all of it; its reason is then waiting here.
            if ( $!{EPIPE} || $!{ECONNRESET} ) {
                my $closing = $self->_closing_frame_text;
                $self->_fail($closing) if defined $closing;
            }
            $self->_fail("connection lost while sending a request: $why");
        }
        $offset += $n;
    }
    return;
}

# After a failed write: the text of a "session":"closed" frame the engine
# sent before closing, if one arrives within CLOSING_FRAME_SECONDS; else undef.
sub _closing_frame_text {
    my ($self) = @_;
    my $fh       = $self->{_cpanelfh};
    my $deadline = Time::HiRes::time() + CLOSING_FRAME_SECONDS;
    while ( index( $self->{_rbuf}, CLOSE_TAG ) < 0 ) {
        my $left = $deadline - Time::HiRes::time();
        return if $left <= 0 || !_wait_for( $fh, $left );
        my $n = sysread( $fh, $self->{_rbuf}, READ_CHUNK, length $self->{_rbuf} );
        next if !defined $n && $!{EINTR};
        return if !$n;
    }
    return _closing_text( $self->{_rbuf} );
}

# The engine's text, as UTF-8 bytes, when a frame (or its decoded object)
# says "session":"closed", else undef.
sub _closing_text {
    my ($reply) = @_;
    if ( !ref $reply ) {
        return if $reply !~ m{<cpanelresult>(.*?)</cpanelresult>}s;
        $reply = eval { $REPLY_JSON->decode($1) };
    }
    return if ref $reply ne 'HASH' || !defined $reply->{session} || $reply->{session} ne 'closed';
    for my $text ( $reply->{error}, ref $reply->{data} eq 'HASH' ? $reply->{data}{reason} : undef ) {
        return Encode::encode( 'UTF-8', $text ) if defined $text && !ref $text && length $text;
    }
    return 'the cPanel engine closed the session';
}

# Returns the next complete frame from the socket, including its final LF,
# and leaves any bytes after it in the buffer for the next call. Bare
# keep-alive newlines before the frame (docs/protocol.md C10) stay part of it and are
# skipped by the decoder.
sub _read_frame {
    my ($self) = @_;
    my $trailer_grace_over = 0;
    while (1) {
        my ( $frame, $need ) = $self->_take_frame($trailer_grace_over);
        return $frame if defined $frame;

        if ( $need eq 'trailer' && !_wait_for( $self->{_cpanelfh}, TRAILER_GRACE_SECONDS ) ) {
            $trailer_grace_over = 1;
            next;
        }
        if ( !$self->_fill_buffer ) {
            if ( $need eq 'trailer' ) {    # closed right after the frame, without its LF
                $trailer_grace_over = 1;
                next;
            }
            my $received = length $self->{_rbuf};
            $self->_fail( 'connection lost: the cPanel engine closed the connection before sending a complete reply'
                  . ( $received ? " ($received bytes received)" : '' ) );
        }
    }
}

# Looks for one complete frame in the buffer. Returns ($frame) when found,
# else (undef, 'more') or (undef, 'trailer') when only the final LF is missing.
sub _take_frame {
    my ( $self, $accept_without_lf ) = @_;
    my $buf = \$self->{_rbuf};

    if ( $$buf =~ /\A\s*([^<\s])/ ) {
        $self->_fail( 'malformed reply: expected a <cpanelresult> frame, got ' . _snippet( $$buf, @{ $self->{_secrets} } ) );
    }
    my $close = index( $$buf, CLOSE_TAG, $self->{_scan_from} );
    if ( $close < 0 ) {
        my $from = length($$buf) - length(CLOSE_TAG) + 1;
        $self->{_scan_from} = $from > 0 ? $from : 0;
        return ( undef, 'more' );
    }

    my $end = $close + length(CLOSE_TAG);
    pos($$buf) = $end;
    if ( $$buf =~ /\G[ \t\r]*\n/gc ) {
        $end = pos($$buf);
    }
    elsif ( $$buf =~ /\G[ \t\r]*\z/gc && !$accept_without_lf ) {
        return ( undef, 'trailer' );
    }
    # Otherwise the frame ends at the close tag: either the LF never came, or
    # other bytes follow, which stay buffered for the next reply.

    my $frame = substr( $$buf, 0, $end, '' );
    $self->{_scan_from} = 0;
    return ($frame);
}

sub _fill_buffer {
    my ($self) = @_;
    my $fh = $self->{_cpanelfh};
    while (1) {
        if ( defined $self->{_timeout} && !_wait_for( $fh, $self->{_timeout} ) ) {
            $self->_fail("timed out after $self->{_timeout} s waiting for a reply");
        }
        my $n = sysread( $fh, $self->{_rbuf}, READ_CHUNK, length $self->{_rbuf} );
        if ( !defined $n ) {
            next if $!{EINTR};
            $self->_fail("connection lost while reading a reply: $!");
        }
        if ( length( $self->{_rbuf} ) > MAX_REPLY_BYTES ) {
            $self->_fail( 'reply exceeds ' . MAX_REPLY_BYTES . ' bytes' );
        }
        return $n;
    }
}

sub _decode_frame {
    my ( $self, $frame ) = @_;
    my @secrets = @{ $self->{_secrets} };

    if ( $frame !~ m{\A\s*(?:<\?xml[^>]*\?>\s*)?<cpanelresult>(.*)</cpanelresult>[ \t\r]*\n?\z}s ) {
        $self->_fail( 'malformed reply: expected a <cpanelresult> frame, got ' . _snippet( $frame, @secrets ) );
    }
    my $json = $1;
    $json =~ s/\A\s+//;
    $json =~ s/\s+\z//;

    # cPanel's way of reporting an error it could not put into JSON; the
    # official module turns it into this hash, so scripts may test for it.
    if ( $json eq '' ) {
        my $message = 'Error cannot be propagated to liveapi, please check the cPanel error_log.';
        return { cpanelresult => { error => $message, result => { errors => [$message] } } };
    }
    if ( substr( $json, 0, 1 ) ne '{' ) {
        $self->_fail( 'malformed reply: <cpanelresult> does not hold a JSON object: ' . _snippet( $json, @secrets ) );
    }
    my $data = eval { $REPLY_JSON->decode($json) };
    if ( ref $data ne 'HASH' ) {
        my $why = $@ ? _without_location($@) : 'not a JSON object';
        $self->_fail( 'malformed reply: invalid JSON (' . _scrub( $why, @secrets ) . ')' );
    }

    # liveapid's last word before it closes the connection (a request over
    # its --max-request-bytes): an error, and no later call may be tried.
    my $closing = _closing_text($data);
    $self->_fail( _scrub( $closing, @secrets ) ) if defined $closing;

    # API2, if and feature replies come wrapped already. Deciding on the
    # first key (not on the exact bytes '{"cpanelresult"') also keeps a
    # pretty-printed wrapped reply from being wrapped twice.
    return $data if $json =~ /\A\{\s*"cpanelresult"\s*:/;
    return { cpanelresult => $data };
}

# Closes the connection, then dies: after a failed exchange the stream may be
# out of step, and a later call must never return this call's late reply.
sub _fail {
    my ( $self, $message ) = @_;
    $self->debug_log( 1, "ERROR: $message" ) if $self->{_debug_level};
    $self->_disconnect;
    Carp::croak( __PACKAGE__ . ": $message" );
}

# Waits until $fh is readable (or writable, with $for_write) or $seconds have
# passed; returns false only on the timeout. Signals do not cut the wait
# short; a select() error returns true so that the next read or write
# reports it.
sub _wait_for {
    my ( $fh, $seconds, $for_write ) = @_;
    my $deadline = Time::HiRes::time() + $seconds;
    while (1) {
        my $bits = '';
        vec( $bits, fileno($fh), 1 ) = 1;
        my $left = $deadline - Time::HiRes::time();
        $left = 0 if $left < 0;
        my $ready = $for_write ? select( undef, $bits, undef, $left ) : select( $bits, undef, undef, $left );
        return 1 if $ready > 0;
        return 0 if $ready == 0;
        return 1 if !$!{EINTR};
    }
}

sub _without_location {
    my ($error) = @_;
    $error =~ s/(?: at \S+ line \d+\.?)?\n?\z//;
    return $error;
}

# ------------------------------------------------------------------ strings

# Requests follow the official module where it works: a byte string (UTF8
# flag off) is sent as its bytes, so UTF-8 bytes go out as UTF-8 and a
# Latin-1 byte as that byte (liveapid reads a payload that is not UTF-8 as
# Latin-1). A character string (UTF8 flag on) is sent as UTF-8; the official
# module sent Latin-1 for U+0080..U+00FF and died above U+00FF.
#
# _wire_data returns a copy of a request structure in which every string,
# hash keys included, is a byte string chosen by that rule; numbers, undef
# and references to anything but plain hashes and arrays are kept as they
# are (the JSON encoder deals with them). A request that would mix
# non-ASCII UTF-8 with bytes that are not UTF-8 cannot be read correctly as
# a whole (neither as UTF-8 nor as Latin-1), so there, and only there, the
# non-UTF-8 byte strings are converted from Latin-1 to UTF-8: the server
# then reads every string as it reads it alone. Dies with
# { code_point => N } for a character that has no UTF-8 form.
sub _wire_data {
    my ($data) = @_;
    my %seen;
    _scan_strings( $data, \%seen, 0 );
    return _to_wire( $data, $seen{utf8} && $seen{other} );
}

sub _scan_strings {
    my ( $data, $seen, $depth ) = @_;
    no warnings 'recursion';    # bounded by MAX_DEPTH (JSON::PP's limit for replies)
    die 'the arguments are nested more than ' . MAX_DEPTH . " levels deep (a circular structure?)\n" if $depth > MAX_DEPTH;
    if ( ref $data eq 'HASH' ) {
        for my $key ( keys %$data ) {
            _note_string( $key, $seen );
            _scan_strings( $data->{$key}, $seen, $depth + 1 );
        }
    }
    elsif ( ref $data eq 'ARRAY' ) {
        _scan_strings( $_, $seen, $depth + 1 ) for @$data;
    }
    elsif ( _is_string($data) ) {
        _note_string( $data, $seen );
    }
    return;
}

# Records whether a string puts non-ASCII UTF-8 ('utf8') or bytes that are
# not UTF-8 ('other') on the wire.
sub _note_string {
    my ( $string, $seen ) = @_;
    if ( utf8::is_utf8($string) ) {
        $seen->{utf8} = 1 if $string =~ /[^\x00-\x7f]/;
    }
    elsif ( $string =~ /[\x80-\xff]/ ) {
        $seen->{ _is_utf8_bytes($string) ? 'utf8' : 'other' } = 1;
    }
    return;
}

sub _to_wire {
    my ( $data, $latin1_to_utf8 ) = @_;
    no warnings 'recursion';    # _scan_strings has checked the depth
    if ( ref $data eq 'HASH' ) {
        my %wire;
        $wire{ _wire_string( $_, $latin1_to_utf8 ) } = _to_wire( $data->{$_}, $latin1_to_utf8 ) for keys %$data;
        return \%wire;
    }
    if ( ref $data eq 'ARRAY' ) {
        return [ map { _to_wire( $_, $latin1_to_utf8 ) } @$data ];
    }
    return _is_string($data) ? _wire_string( $data, $latin1_to_utf8 ) : $data;
}

sub _wire_string {
    my ( $string, $latin1_to_utf8 ) = @_;
    if ( utf8::is_utf8($string) ) {
        die { code_point => ord $1 } if $string =~ /([\x{D800}-\x{DFFF}]|[^\x{0}-\x{10FFFF}])/;
        my $bytes = $string;
        utf8::encode($bytes);
        return $bytes;
    }
    if ( $latin1_to_utf8 && $string =~ /[\x80-\xff]/ && !_is_utf8_bytes($string) ) {
        my $utf8 = $string;
        utf8::upgrade($utf8);    # each byte is the Latin-1 character
        utf8::encode($utf8);
        return $utf8;
    }
    return $string;
}

sub _croak_code_point {
    my ($code_point) = @_;
    Carp::croak( sprintf '%s: the request contains the code point U+%04X, which cannot be sent as UTF-8', __PACKAGE__, $code_point );
}

# A defined plain scalar that JSON::PP writes as a string (it writes a scalar
# as a number only when it has a numeric value and no string value).
sub _is_string {
    return 0 if ref $_[0] || !defined $_[0];
    my $flags = B::svref_2object( \$_[0] )->FLAGS;
    return !( ( $flags & ( B::SVp_IOK | B::SVp_NOK ) ) && !( $flags & B::SVp_POK ) );
}

# Well-formed UTF-8 (no surrogates, nothing above U+10FFFF), as liveapid
# checks it.
sub _is_utf8_bytes {
    my ($bytes) = @_;
    return 0 if utf8::is_utf8($bytes);
    my $copy = $bytes;
    return eval { Encode::decode( 'UTF-8', $copy, Encode::FB_CROAK() | Encode::LEAVE_SRC() ); 1 } ? 1 : 0;
}

# Turns every string of a decoded reply (values and hash keys) into its UTF-8
# bytes, in place: what real cPanel hands to scripts (it rewrites \uXXXX
# escapes into UTF-8 and decodes the JSON without a UTF-8 layer). Numbers
# and booleans stay as they are.
sub _encode_strings {
    my ($data) = @_;
    no warnings 'recursion';    # bounded by MAX_DEPTH (JSON::PP's limit for replies)
    if ( ref $data eq 'HASH' ) {
        for my $key ( grep { /[^\x00-\x7f]/ } keys %$data ) {
            my $bytes = $key;
            utf8::encode($bytes);
            $data->{$bytes} = delete $data->{$key};
        }
        _encode_value($_) for values %$data;
    }
    elsif ( ref $data eq 'ARRAY' ) {
        _encode_value($_) for @$data;
    }
    return $data;
}

sub _encode_value {
    no warnings 'recursion';    # bounded by MAX_DEPTH (JSON::PP's limit for replies)
    if ( ref $_[0] ) {
        _encode_strings( $_[0] );
    }
    elsif ( _is_string( $_[0] ) ) {
        utf8::encode( $_[0] );
    }
    return;
}

# ----------------------------------------------------------------- redaction

# Returns the text to log for a request payload (bytes, as sent; undef
# unless $want_text) and the secret values it carries (byte strings, as sent).
sub _describe_request {
    my ( $payload, $want_text ) = @_;
    return ($payload) if $payload !~ m{\A\s*<cpanelaction\b[^>]*>(.*)</cpanelaction>\s*\z}s;
    my $inner   = $1;
    my $request = eval { $PAYLOAD_JSON->decode($inner) };
    if ( ref $request ne 'HASH' ) {
        return ( '<cpanelaction> [' . length($payload) . ' bytes not logged: not a JSON object] </cpanelaction>' );
    }

    my @secrets = _secret_values($request);
    my $logged  = _redact($request);
    # API1 arguments are positional; when the function is about passwords,
    # any of them may be one. (Very short ones, like a flag "0", are not
    # scrubbed from raw text, or every digit of a logged reply would be.)
    if ( ref $request->{args} eq 'ARRAY' && defined $request->{func} && $request->{func} =~ $SECRET_KEY_RE ) {
        push @secrets, grep { defined && !ref && length >= 4 } @{ $request->{args} };
        $logged->{args} = [ ($REDACTED) x @{ $request->{args} } ];
    }
    # JSON::PP hands back the strings of a byte payload flagged; their
    # characters are the bytes, so make them byte strings again. (Only
    # characters from \uXXXX escapes above U+00FF stay characters.)
    @secrets = map { my $secret = "$_"; utf8::downgrade( $secret, 1 ); $secret } @secrets;
    return ( undef, @secrets ) if !$want_text;
    # The same secret may be repeated under another name.
    my $text = _scrub( $REQUEST_JSON->encode($logged), @secrets );
    return ( "<cpanelaction>\n" . $text . "\n</cpanelaction>", @secrets );
}

sub _is_secret_key {
    my ($key) = @_;
    return defined $key && $key =~ $SECRET_KEY_RE;
}

sub _redact {
    my ($data) = @_;
    if ( ref $data eq 'HASH' ) {
        return { map { $_ => ( $_ =~ $SECRET_KEY_RE ? $REDACTED : _redact( $data->{$_} ) ) } keys %$data };
    }
    if ( ref $data eq 'ARRAY' ) {
        return [ map { _redact($_) } @$data ];
    }
    return $data;
}

sub _secret_values {
    my ( $data, $under_secret_key ) = @_;
    if ( ref $data eq 'HASH' ) {
        return map { _secret_values( $data->{$_}, $under_secret_key || $_ =~ $SECRET_KEY_RE ) } keys %$data;
    }
    if ( ref $data eq 'ARRAY' ) {
        return map { _secret_values( $_, $under_secret_key ) } @$data;
    }
    return ( $under_secret_key && defined $data && length $data ) ? ($data) : ();
}

# Replaces every occurrence of a secret with the redaction marker. $text
# may be bytes (UTF-8 or raw reply bytes) or characters, and each secret a
# byte string or a character string: a secret is looked for as the server
# may have read it (a UTF-8 byte string as its characters, any byte string
# also as Latin-1) and as JSON may spell it (\u00e9, \/, \" ...).
sub _scrub {
    my ( $text, @secrets ) = @_;
    return $text if !defined $text;
    my $as_chars = utf8::is_utf8($text);
    my @patterns;
    for my $secret ( sort { length $b <=> length $a } grep { defined && !ref && length } @secrets ) {
        push @patterns, _secret_patterns( "$secret", $as_chars );
    }
    return $text if !@patterns;
    my $any = join '|', @patterns;
    $text =~ s/(?:$any)/$REDACTED/g;
    return $text;
}

sub _secret_patterns {
    my ( $secret, $as_chars ) = @_;
    my @readings;    # the secret as characters
    my @literals;    # other exact forms
    if ( utf8::is_utf8($secret) ) {
        push @readings, $secret;
    }
    else {
        my $decoded = $secret;
        push @readings, $decoded if utf8::decode($decoded) && $decoded ne $secret;
        push @readings, $secret;                 # read as Latin-1
        push @literals, $secret if !$as_chars;    # the raw bytes
    }
    if ($as_chars) {
        for my $reading (@readings) {
            my $utf8 = $reading;
            utf8::encode($utf8);
            push @literals, $utf8;    # UTF-8 bytes taken for characters
        }
    }
    my @patterns = map { join '', map { _json_char_pattern( $_, $as_chars ) } split //, $_ } @readings;
    push @patterns, map { quotemeta } @literals;
    return @patterns;
}

# Every way JSON text (UTF-8 bytes, or characters) can hold one character.
sub _json_char_pattern {
    my ( $char, $as_chars ) = @_;
    my $raw = $char;
    utf8::encode($raw) if !$as_chars;
    my @forms = ( quotemeta $raw );
    my $n     = ord $char;
    if ( $n > 0xFFFF ) {
        my $v = $n - 0x10000;
        push @forms, sprintf '\\\\u(?i:%04x)\\\\u(?i:%04x)', 0xD800 + ( $v >> 10 ), 0xDC00 + ( $v & 0x3FF );
    }
    else {
        push @forms, sprintf '\\\\u(?i:%04x)', $n;
    }
    push @forms, '\\\\' . quotemeta $JSON_SHORT_ESCAPE{$char} if exists $JSON_SHORT_ESCAPE{$char};
    return '(?:' . join( '|', @forms ) . ')';
}

sub _snippet {
    my ( $bytes, @secrets ) = @_;
    my $text = length($bytes) > 120 ? substr( $bytes, 0, 120 ) . '...' : $bytes;
    $text = _scrub( $text, @secrets );
    $text =~ s/(["\\])/\\$1/g;
    $text =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
    return qq{"$text"};
}

1;

__END__

=encoding UTF-8

=head1 NAME

Cpanel::LiveAPI - client for the cPanel LiveAPI socket (liveapid-compatible)

=head1 SYNOPSIS

 use Cpanel::LiveAPI ();

 my $cpliveapi = Cpanel::LiveAPI->new();    # connects to $ENV{CPANEL_CONNECT_SOCKET}

 my $reply = $cpliveapi->uapi( 'Email', 'passwd_pop',
     { email => 'user', password => $new_password, domain => 'example.com' } );
 if ( $reply->{cpanelresult}{result}{status} ) {
     print "Password changed.\n";
 }
 else {
     print "Failed: $_\n" for @{ $reply->{cpanelresult}{result}{errors} };
 }

 my $rows = $cpliveapi->api2( 'Email', 'listpopswithdisk', { domain => 'example.com' } );
 my $home = $cpliveapi->cpanelprint('$homedir');
 print "PostgreSQL\n" if $cpliveapi->cpanelif('$haspostgres');

 $cpliveapi->end();

=head1 DESCRIPTION

cPanel runs C<*.live.pl> scripts with a Unix-domain socket back to its
engine (cpsrvd, or liveapid) and puts the socket's path into the environment.
This module speaks that socket's protocol: every request is a decimal byte
count, a newline and a payload; every reply is one frame: C<< <cpanelresult> >>,
a JSON object, C<< </cpanelresult> >> and a newline.

It has the public interface, the result structures and the string handling
of cPanel's official C<Cpanel::LiveAPI> 0.3, so existing scripts run
unchanged, and it fixes that module's known faults (see L</COMPATIBILITY>
and L</ENCODING>). It uses core Perl modules only.

=head2 Result structures

Every call that returns a reply returns a hash reference with one top-level
key, C<cpanelresult>:

=over

=item UAPI (C<uapi>, C<api3>)

C<< $reply->{cpanelresult}{result} >> holds C<status> (1 or 0), C<errors>,
C<messages>, C<warnings> (each undef or an array of strings), C<metadata> and
C<data>.

=item API2

C<< $reply->{cpanelresult}{data} >> is the array of rows;
C<< $reply->{cpanelresult}{event}{result} >> is 1 on success, and on failure
C<< {event}{reason} >> and C<< {error} >> describe it.

=item API1 and C<fetch>

C<< $reply->{cpanelresult}{data}{result} >> is the output string.

=back

The server sends API2, C<if> and C<feature> replies already wrapped in
C<cpanelresult>; all others are wrapped by this module.

Strings in results are UTF-8 byte strings, as cPanel gives them to
scripts; see L</ENCODING>.

=head1 METHODS

=over

=item my $cpliveapi = Cpanel::LiveAPI->new( \%options )

Connects to the engine, switches the session to JSON mode and returns the
object. The socket path comes from the C<socket> option, else from
C<CPANEL_CONNECT_SOCKET>, else from C<CPANEL_PHPCONNECT_SOCKET>. Options:

=over

=item socket => PATH

Connect here instead of the path from the environment.

=item timeout => SECONDS

Give up on a reply when the server sends nothing for this long. Keep-alive
newlines from the server count as activity, so slow calls still work. Default:
wait as long as it takes (like the official module).

=item debug_level => LEVEL, debug_log => PATH

Same as calling C<set_debug> and choosing the log file; the package variables
C<$Cpanel::LiveAPI::LIVEAPI_DEBUG_LEVEL> and
C<$Cpanel::LiveAPI::LIVEAPI_DEBUG_LOG> are the defaults for every object.

=item utf8_strings => 1

Return the strings of every reply as decoded Perl character strings instead
of UTF-8 byte strings (see L</ENCODING>). Off by default, as in cPanel. It
changes nothing in what is sent.

=back

Dies when there is no socket to connect to or the connection fails (see
L</ERRORS>).

=item $reply = $cpliveapi->uapi( $module, $function, \%args )

Runs a UAPI function (C<apiversion> C<"uapi">).

=item $reply = $cpliveapi->api3( $module, $function, \%args )

The same through C<apiversion> 3.

=item $reply = $cpliveapi->api2( $module, $function, \%args )

Runs a cPanel API 2 function.

=item $reply = $cpliveapi->api1( $module, $function, \@args )

Runs a cPanel API 1 function; C<\@args> are positional. A plain string is
sent as it is, as the official module does.

=item $reply = $cpliveapi->api( $reqtype, $version, $module, $function, $args )

The general form behind the methods above: C<$reqtype> is C<exec>, C<if> or
C<feature>. C<args> is left out of the request when C<$args> is undef.

=item $reply = $cpliveapi->exec( $code [, $skip_return] )

Sends C<$code> as one request payload (for example a complete
C<< <cpanelaction> >> element) and returns the decoded reply, or nothing when
C<$skip_return> is true. C<$code> is sent by the rule of L</ENCODING>: its
bytes if it is a byte string, UTF-8 if it is a character string.

=item $reply = $cpliveapi->fetch( $var )

Sends the legacy tag C<< <cpanel print="$var"> >> verbatim and returns the
reply; the value is C<< $reply->{cpanelresult}{data}{result} >>. C<$var> is
not escaped, so it must not contain a double quote.

=item $value = $cpliveapi->cpanelprint( $var )

Expands a cPanel variable such as C<$homedir> (API1 C<print>) and returns the
string.

=item $value = $cpliveapi->cpanellangprint( $key )

Returns the legacy language string for C<$key> (API1 C<langprint>).

=item $boolean = $cpliveapi->cpanelif( $expression )

Evaluates a cPanel condition such as C<!$haspostgres>; returns 1 or 0.

=item $boolean = $cpliveapi->cpanelfeature( $feature )

Returns 1 if the account has the feature, else 0.

=item $html = $cpliveapi->header( $page_title )

Returns the cPanel page header (HTML) from UAPI C<Chrome::get_dom>. The DOM is
fetched once per object, with the first page title given; dies if the call
fails or has no header.

=item $html = $cpliveapi->footer( [$page_title] )

Returns the page footer from the same C<Chrome::get_dom> reply.

=item $cpliveapi->set_debug( $level )

C<1> logs every request and reply to the debug log, C<0> turns logging off. The
log is C<~/.cpanel/LiveAPI.log.NNNN> unless C<debug_log> or
C<$LIVEAPI_DEBUG_LOG> names another file. Values of arguments whose name
contains C<pass>, C<secret> or C<token> (and every positional argument of an
API1 function whose name contains one of these) are written as C<********>,
in requests and in echoed replies.

=item $level = $cpliveapi->get_debug_level()

The current debug level.

=item $path = $cpliveapi->get_debug_log()

The path of the debug log, if one was chosen.

=item $boolean = $cpliveapi->utf8_strings()

True when the object returns character strings (the C<utf8_strings> option).

=item $cpliveapi->debug_log( $level, $message [, $to_stderr] )

Writes C<$message> to the debug log when C<$level> is enabled, and to STDERR
when C<$to_stderr> is true.

=item $cpliveapi->debug_log_json( $json_text )

Logs a JSON document (redacted as above).

=item $cpliveapi->end()

Sends C<< <cpanelxml shutdown="1" /> >>, reads until the server closes the
connection (at most 10 seconds) and closes the socket. Calling it again does
nothing. The object's destructor calls it, so a script does not have to.
A forked child never sends the shutdown on its parent's connection.

=back

=head1 ERRORS

Every failure dies with C<Carp::croak> and a message that starts with
C<Cpanel::LiveAPI: >; catch it with C<eval> (or Try::Tiny) where a script
wants to carry on. Methods never return an error value instead. The cases:

=over

=item * no socket: neither C<CPANEL_CONNECT_SOCKET> nor C<CPANEL_PHPCONNECT_SOCKET> is set and no C<socket> option was given;

=item * the socket file does not exist, its path is longer than 107 bytes, or the connection is refused;

=item * connection lost: the server closed the connection (or reset it) before a complete reply, or a write failed;

=item * the server ended the session: a reply whose JSON object has
C<"session":"closed">, which liveapid sends for a request over its
C<--max-request-bytes> before it closes the connection. The message is the
server's text, e.g. C<Cpanel::LiveAPI: The request of 10180 bytes is over
this server's limit of 4096 bytes (liveapid --max-request-bytes); the
connection is closed.> The same message comes when the server answered and
closed before the request was fully written (the write failed with EPIPE or
ECONNRESET and the frame was waiting in the socket); without such a frame, a
failed write is a lost connection;

=item * malformed reply: no C<< <cpanelresult> >> frame, no JSON object inside it, invalid JSON or invalid UTF-8;

=item * timed out (only with the C<timeout> option);

=item * a call after C<end()> or after any of the errors above: C<The Live Socket has closed, unable to continue.>;

=item * a call from a forked child on its parent's connection;

=item * arguments that JSON cannot represent (e.g. objects, or structures nested
more than 512 levels deep, such as circular ones), or characters in a
character string that have no UTF-8 form (lone surrogates, code points above
U+10FFFF);

=item * bad options to C<new> (unknown name, timeout not a positive number).

=back

After an error while sending or receiving, the connection is closed, so a
late reply can never be returned by a later call; errors found before anything
is sent (the arguments) leave the connection usable. A malformed reply is
quoted (its first 120 bytes) in the message. A failing API function is not an error of
this module: it comes back as a normal reply with C<status> 0 (UAPI) or
C<event.result> 0 (API2). Password values never appear in error messages.

=head1 ENCODING

This module handles strings as the official module does wherever that works,
so that scripts written for cPanel get the same bytes through and the same
kind of strings back; it differs only where the official module breaks.

=head2 Requests

Each string of a request (argument values, hash keys, module and function
names, the text given to C<exec> and C<fetch>) is sent according to Perl's
UTF8 flag on that string (C<utf8::is_utf8>):

=over

=item * A byte string (flag off) is sent as its bytes, unchanged, as the
official module sends it. UTF-8 bytes, such as a password read from a file or
from C<@ARGV> without decoding (what most scripts do), go out as the same
UTF-8 and are never encoded a second time. Bytes that are not UTF-8 go out as
they are too: Latin-1 C<"caf\xe9"> is the single byte 0xE9, which liveapid
(like the reference server) reads as Latin-1, i.e. as U+00E9.

=item * A character string (flag on: decoded text, C<use utf8> literals,
C<"\x{20ac}">) is sent as UTF-8. Here the official module sent U+0080 to
U+00FF as single Latin-1 bytes and died ("Wide character in syswrite") on
anything above U+00FF. Characters that have no UTF-8 form make the call die
before anything is sent.

=back

So a password given as UTF-8 bytes and the same password given as decoded
characters arrive as the same bytes, and set the same password.

Strings of both kinds may be mixed in one call, even within one structure:
each string is turned into its bytes on its own, and the JSON text is then
built from those bytes, so every string keeps exactly those bytes (only
the double quote, the backslash and control characters are escaped; C</> is
not). One case cannot
be sent as it is: a request in which bytes that are not UTF-8 (e.g. Latin-1
C<"caf\xe9">) meet non-ASCII UTF-8 from another string. The server reads a
request as UTF-8 or, when it is not valid UTF-8, all of it as Latin-1, so one
of the two would be garbled (with the official module, the UTF-8 strings
are).
In that case only, the non-UTF-8 byte strings are converted from Latin-1 to
UTF-8 before sending, so that the server reads every string as it would read
it alone. The length prefix always counts bytes.

=head2 Replies

By default, every string of a result (values and hash keys) is a UTF-8
I<byte string>, as real cPanel gives them to scripts: it rewrites the
C<\uXXXX> escapes of the reply into UTF-8 and decodes the JSON without a
UTF-8 layer. Non-ASCII text therefore arrives in whatever escaping the server
chose, raw UTF-8 or C<\u00e9>, as the same bytes. Printed to a handle without
an encoding layer, results come out as the UTF-8 that cPanel produces, with no
"Wide character" warning; compared with literals, they match byte strings
(C<"\xc3\xa9">), not characters. Numbers, C<true>/C<false> (JSON::PP::Boolean)
and C<null> (undef) are not affected.

With C<< new({ utf8_strings => 1 }) >>, strings in results are decoded Perl
character strings instead: C<length> counts characters, and output needs an
encoding layer such as C<binmode STDOUT, ':encoding(UTF-8)'>.

The reply must be valid UTF-8 in either mode; a reply that is not is a
malformed reply (see L</ERRORS>).

=head2 Templates

L<Cpanel::LiveAPI::Template>, L<Template::Plugin::Cpanel::LiveAPI> and
L<Cpanel::LiveAPI::Result> follow the connection they use: byte strings by
default, as templates in cPanel see them, characters when the connection has
C<utf8_strings> (C<< [% USE LiveAPI = Cpanel.LiveAPI(utf8_strings => 1) %] >>).

=head2 Secrets in the debug log and in error messages

Passwords (see C<set_debug>) are hidden whether they were given as byte
strings or as character strings, and however the server echoes them: as raw
UTF-8, as C<\uXXXX> escapes, with C<\/>, or read as Latin-1.

=head1 COMPATIBILITY

Differences from cPanel's official C<Cpanel::LiveAPI> 0.3:

=over

=item * Reads each reply up to and including the newline after
C<< </cpanelresult> >>, keeps any further bytes for the next reply and skips
keep-alive newlines. The official module stops at C<< </cpanelresult> >>, so a
reply of 32 768*k+1 bytes left its newline in the socket and broke the next
call.

=item * Byte strings are sent unchanged and replies come back as UTF-8 byte
strings, as with the official module. Character strings (UTF8 flag on) are
sent as UTF-8, where the official module sent U+0080 to U+00FF as Latin-1
bytes and died ("Wide character in syswrite") above U+00FF. In a request that
mixes bytes that are not UTF-8 with non-ASCII UTF-8, the former are converted
from Latin-1 to UTF-8 (the official module sent both as they were, and the
UTF-8 arrived garbled). See L</ENCODING>.

=item * Characters without a UTF-8 form in a character string make the call
die before sending; a reply that is not valid UTF-8 dies as a malformed reply
(the official module passed its bytes through).

=item * C<< new({ utf8_strings => 1 }) >> returns decoded character strings;
the official module had no such option.

=item * Dies on errors instead of printing to STDERR and returning undef from
C<new>, or returning C<(0, 'The Live Socket has closed, unable to continue.')>
from methods after C<end>. C<header>/C<footer> die instead of returning
C<(0, 'No header in DOM response')>.

=item * A wrapped reply is recognised by its first key even when the server
pretty-prints it; the official module wrapped such replies a second time.

=item * C<end> is idempotent and returns 1; it gives up waiting for the server
to close after 10 seconds.

=item * C<new> accepts options (C<socket>, C<timeout>, C<debug_level>,
C<debug_log>, C<utf8_strings>); the official one took none.

=item * Request keys are sorted (the official order is random per process).

=item * The debug log hides password arguments and writes one redacted JSON line per reply instead of a Data::Dumper dump.

=back

=head1 SEE ALSO

L<Cpanel::LiveAPI::Template> and L<Template::Plugin::Cpanel::LiveAPI> for
Template Toolkit's C<execute()>; the protocol, its constraints C1-C14 and
liveapid's C<"session":"closed"> reply in F<docs/protocol.md> of the liveapid
repository.

=head1 LICENSE

MIT. See the repository's license.

=cut
