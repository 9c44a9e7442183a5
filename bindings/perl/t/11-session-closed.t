use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use IO::Socket::UNIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes ();
use Cpanel::LiveAPI ();
use LiveAPITest::ReferenceServer ();

# A reply with "session":"closed" is the engine's last word: liveapid sends
# it for a request over its --max-request-bytes, then closes. The reference
# server's --max-request-bytes does the same, reading the request first up
# to --drain-cap bytes and answering bigger ones at once, so that the
# client's write fails with the reason already waiting in its socket.

if ( my $why = LiveAPITest::ReferenceServer->unavailable_reason ) {
    plan skip_all => $why;
}

my $over_limit = qr/\ACpanel::LiveAPI: The request of (\d+) bytes is over this server's limit of 4096 bytes \(liveapid --max-request-bytes\); the connection is closed\. at /;

sub closed_for_good {
    my ($api) = @_;
    ok( !$api->{connected}, 'the connection is marked closed' );
    my $started = Time::HiRes::time();
    ok( $api->end, 'end() returns' );
    cmp_ok( Time::HiRes::time() - $started, '<', 1, 'without waiting' );
    ok( !eval { $api->cpanelprint('$user'); 1 }, 'a later call dies' );
    like( $@, qr/The Live Socket has closed, unable to continue\./, 'with the closed-session message' );
}

subtest 'a request over the limit, read by the server, then answered' => sub {
    my $server = LiveAPITest::ReferenceServer->start( '--max-request-bytes', '4096' );
    my $api    = Cpanel::LiveAPI->new( { socket => $server->socket, timeout => 5 } );
    is( $api->cpanelprint('$user'), 'dave', 'a small request works' );
    ok( !eval { $api->uapi( 'Test', 'echo', { blob => 'x' x 10000 } ); 1 }, 'the big one dies' );
    like( $@, $over_limit, "with the server's text" );
    my ($size) = $@ =~ $over_limit;
    ok( defined $size && $size > 10000 && $size < 10200, 'which gives the size of the request payload' );
    closed_for_good($api);
};

subtest 'a request far over the limit, answered before it is written' => sub {
    my @switches = ( '--max-request-bytes', '4096', '--drain-cap', '4096' );
    my $blob     = 'x' x ( 1 << 20 );

    # The premise: a plain write of such a request does fail.
    my $server = LiveAPITest::ReferenceServer->start(@switches);
    my $raw    = IO::Socket::UNIX->new( Type => SOCK_STREAM, Peer => $server->socket ) or die "connect: $!";
    my $data   = length($blob) . "\n" . $blob;
    my ( $sent, $error ) = ( 0, '' );
    {
        local $SIG{PIPE} = 'IGNORE';
        while ( $sent < length $data ) {
            my $n = syswrite( $raw, $data, length($data) - $sent, $sent );
            if ( !defined $n ) { $error = $!; last }
            $sent += $n;
        }
    }
    cmp_ok( $sent, '<', length $data, "a plain write stops early ($error)" );
    my $waiting = do { local $/; <$raw> };
    like( $waiting, qr/"session":"closed"/, 'with the frame waiting in the socket' );
    close $raw;

    my $api = Cpanel::LiveAPI->new( { socket => $server->socket, timeout => 5 } );
    ok( !eval { $api->uapi( 'Test', 'echo', { blob => $blob } ); 1 }, 'the call dies' );
    like( $@, $over_limit, "with the server's text, not the write error" );
    unlike( $@, qr/Broken pipe|reset by peer/, 'the errno is not the message' );
    closed_for_good($api);
};

subtest 'a failed write with no frame waiting is still a lost connection' => sub {
    my $server = LiveAPITest::ReferenceServer->start();
    my $api    = Cpanel::LiveAPI->new( { socket => $server->socket, timeout => 5 } );
    $server->kill_now;
    ok( !eval { $api->uapi( 'Test', 'echo', { blob => 'x' x ( 1 << 20 ) } ); 1 }, 'the call dies' );
    like( $@, qr/\ACpanel::LiveAPI: connection lost while sending a request: /, 'with the socket error' );
    ok( !$api->{connected}, 'the connection is marked closed' );
};

done_testing();
