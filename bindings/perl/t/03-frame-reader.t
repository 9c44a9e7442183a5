use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use Time::HiRes ();
use Cpanel::LiveAPI ();
use LiveAPITest::FakeServer ();
use LiveAPITest::Util qw(frame same_json uapi_echo_frame);

# How the shim reads replies: whole frames up to and including the final
# LF, nothing lost or left behind, and a clean death (never a stale result)
# on anything that is not a reply frame.

use constant SWITCH => LiveAPITest::FakeServer::SWITCH_REPLY;

my $small     = frame('{"apiversion":3,"func":"f","module":"M","result":{"data":"small","errors":null,"messages":null,"metadata":{},"status":1,"warnings":null}}');
my $small_tag = sub { $_[0]{cpanelresult}{result}{data} };

# Starts a fake server with the given replies (after the JSON switch) and
# returns it with a connected client.
sub session {
    my (@replies) = @_;
    my $options = ref $replies[0] eq 'HASH' ? shift @replies : {};
    my $fake = LiveAPITest::FakeServer->start( %$options, replies => [ SWITCH, @replies ] );
    my $api  = Cpanel::LiveAPI->new( { socket => $fake->socket, timeout => 10 } );
    return ( $fake, $api );
}

subtest 'replies of 32768*k+1 bytes (the official client left their LF in the socket)' => sub {
    my @sizes = ( 32769, 65537, 98305 );
    my ( $fake, $api ) = session( ( map { uapi_echo_frame( $_, "size$_" ), $small } @sizes ) );
    for my $size (@sizes) {
        my $reply = $api->uapi( 'Test', 'echo', {} );
        is( $reply->{cpanelresult}{result}{data}{tag}, "size$size", "$size-byte reply decoded" );
        is( $api->{_rbuf}, '', "its final LF was consumed ($size)" );
        is( $small_tag->( $api->uapi( 'Test', 'f', {} ) ), 'small', "the call after it decodes ($size)" );
    }
    $api->end;
    is( $fake->finish, 0, 'server finished' );
};

subtest 'bytes after a frame are kept for the next reply' => sub {
    my $second = uapi_echo_frame( 400, 'second' );
    my ( $fake, $api ) = session( $small . substr( $second, 0, 150 ), substr( $second, 150 ) );
    is( $small_tag->( $api->uapi( 'Test', 'f', {} ) ), 'small', 'first reply' );
    is( length $api->{_rbuf}, 150, 'the start of the next frame stays buffered' );
    is( $api->uapi( 'Test', 'echo', {} )->{cpanelresult}{result}{data}{tag}, 'second', 'second reply completed from the buffer' );
    is( $api->{_rbuf}, '', 'buffer empty' );
    $api->end;
    $fake->finish;
};

subtest 'keep-alive lines, stray newlines, no XML declaration' => sub {
    my $body = '{"apiversion":3,"func":"f","module":"M","result":{"data":"ka","errors":null,"messages":null,"metadata":{},"status":1,"warnings":null}}';
    my ( $fake, $api ) = session(
        [ [ qq{<?xml version="1.0" ?>\n}, 0 ], [ "\n", 0.05 ], [ "\n", 0.05 ], [ "<cpanelresult>$body</cpanelresult>\n", 0.05 ] ],
        "\n\n<cpanelresult>$body</cpanelresult>\n",
        "\r\n<cpanelresult>$body</cpanelresult>\r\n",
        $small,
    );
    is( $small_tag->( $api->uapi( 'T', 'a', {} ) ), 'ka', 'declaration, then keep-alive newlines, then the frame' );
    is( $small_tag->( $api->uapi( 'T', 'b', {} ) ), 'ka', 'leading newlines and no declaration' );
    is( $small_tag->( $api->uapi( 'T', 'c', {} ) ), 'ka', 'CR LF line ends' );
    is( $small_tag->( $api->uapi( 'T', 'd', {} ) ), 'small', 'next frame unaffected' );
    $api->end;
    $fake->finish;
};

subtest 'a frame without its final LF' => sub {
    ( my $no_lf = $small ) =~ s/\n\z//;
    my ( $fake, $api ) = session( $no_lf, [ [ $no_lf, 0 ], [ "\n", 0.6 ] ], $small );
    my $started = Time::HiRes::time();
    is( $small_tag->( $api->uapi( 'T', 'a', {} ) ), 'small', 'accepted after a short wait for the LF' );
    cmp_ok( Time::HiRes::time() - $started, '<', 2, 'the wait is short' );
    is( $small_tag->( $api->uapi( 'T', 'b', {} ) ), 'small', 'next frame, whose LF comes late' );
    is( $small_tag->( $api->uapi( 'T', 'c', {} ) ), 'small', 'the late LF did not disturb the frame after it' );
    $api->end;
    $fake->finish;
};

subtest 'wrapping: by first key, whitespace tolerated' => sub {
    my $pretty_api2 = frame(qq({\n  "cpanelresult": {\n    "apiversion": 2,\n    "data": [],\n    "event": {"result": 1}\n  }\n}));
    my ( $fake, $api ) = session(
        $pretty_api2,
        frame(qq({\n  "apiversion": 3,\n  "result": {"status": 1}\n})),
        qq{<?xml version="1.0" ?>\n<cpanelresult> {"data":{"result":1}} \n</cpanelresult>\n},
        qq{<?xml version="1.0" ?>\n<cpanelresult></cpanelresult>\n},
    );
    same_json( $api->api2( 'M', 'f', {} ), { cpanelresult => { apiversion => 2, data => [], event => { result => 1 } } },
        'pretty-printed wrapped reply is not wrapped twice' );
    same_json( $api->uapi( 'M', 'f', {} ), { cpanelresult => { apiversion => 3, result => { status => 1 } } },
        'pretty-printed UAPI reply is wrapped once' );
    same_json( $api->exec('<cpanel print="x">'), { cpanelresult => { data => { result => 1 } } }, 'spaces around the JSON' );
    my $message = 'Error cannot be propagated to liveapi, please check the cPanel error_log.';
    same_json( $api->uapi( 'M', 'f', {} ), { cpanelresult => { error => $message, result => { errors => [$message] } } },
        'empty <cpanelresult></cpanelresult> gives the official synthetic error' );
    $api->end;
    $fake->finish;
};

my @malformed = (
    [ 'a JSON array',       frame('[1,2]'),                           qr/does not hold a JSON object/ ],
    [ 'invalid JSON',       frame('{"a":}'),                          qr/invalid JSON/ ],
    [ 'invalid UTF-8',      frame(qq({"a":"caf\xe9"})),               qr/invalid JSON \(malformed UTF-8/ ],
    [ 'text before frame',  "HTTP/1.0 400 Bad Request\r\n\r\n",       qr/expected a <cpanelresult> frame, got "HTTP/ ],
    [ 'junk before <cpanelresult>', qq{<?xml version="1.0" ?>\n<html><cpanelresult>{}</cpanelresult>\n}, qr/expected a <cpanelresult> frame/ ],
    [ 'EOF inside a frame', [ [ qq{<?xml version="1.0" ?>\n<cpanelresult>{"a":1}}, 0 ], [undef] ], qr/connection lost: .* before sending a complete reply \(44 bytes received\)/ ],
    [ 'EOF instead of a reply', undef,                                qr/connection lost: .* before sending a complete reply at / ],
);
for my $case (@malformed) {
    my ( $name, $reply, $error ) = @$case;
    subtest "malformed reply: $name" => sub {
        my ( $fake, $api ) = session( $reply, $small );
        my $started = Time::HiRes::time();
        my $ok = eval { $api->uapi( 'T', 'f', {} ); 1 };
        ok( !$ok, 'the call dies' );
        like( $@, qr/\ACpanel::LiveAPI: /, 'message names the module' );
        like( $@, $error, 'message says what is wrong' );
        like( $@, qr/ at \Q$0\E line \d+/, 'reported at the caller' );
        cmp_ok( Time::HiRes::time() - $started, '<', 5, 'without waiting for the timeout' );
        ok( !eval { $api->uapi( 'T', 'f', {} ); 1 }, 'the next call dies too (no stale or late reply)' );
        like( $@, qr/The Live Socket has closed, unable to continue\./, 'because the connection was closed' );
        ok( $api->end, 'end() after an error is harmless' );
        $fake->finish;
    };
}

subtest 'inactivity timeout' => sub {
    my ( $fake, $api ) = session( [ [ $small, 1.5 ] ], $small );
    $api->{_timeout} = 0.3;
    my $started = Time::HiRes::time();
    ok( !eval { $api->uapi( 'T', 'slow', {} ); 1 }, 'a reply slower than the timeout dies' );
    like( $@, qr/timed out after 0\.3 s waiting for a reply/, 'with a timeout message' );
    cmp_ok( Time::HiRes::time() - $started, '<', 1.2, 'after about the timeout' );
    ok( !eval { $api->uapi( 'T', 'f', {} ); 1 }, 'the late reply is never returned' );
    like( $@, qr/The Live Socket has closed/, 'the connection is closed' );
    $fake->finish;
};

done_testing();
