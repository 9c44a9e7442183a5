use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use Encode ();
use Time::HiRes ();
use Cpanel::LiveAPI ();
use LiveAPITest::Paths qw(short_tempdir);
use LiveAPITest::ReferenceServer ();
use LiveAPITest::Util qw(same_json);

# The reference server's switches reproduce the reply variations of
# docs/protocol.md section 9; the official Perl client broke on some of them
# (pretty-printed wrapped replies, 32 KiB boundary sizes), this one must not.

if ( my $why = LiveAPITest::ReferenceServer->unavailable_reason ) {
    plan skip_all => $why;
}

# The reply forms every variation must still decode.
sub check_reply_forms {
    my ($api) = @_;
    is( $api->uapi( 'Email', 'passwd_pop', { email => 'user', password => 'x-Y-z-123', domain => 'example.com' } )->{cpanelresult}{result}{status},
        1, 'uapi status' );
    is_deeply( $api->uapi( 'Fail', 'now', {} )->{cpanelresult}{result}{errors}, ['Mock failure requested.'], 'uapi failure' );
    my $api2 = $api->api2( 'Email', 'listpopswithdisk', { domain => 'example.com' } );
    is_deeply( $api2->{cpanelresult}{data}, [ { domain => 'example.com' } ], 'api2 rows' );
    ok( !exists $api2->{cpanelresult}{cpanelresult}, 'api2 not wrapped twice' );
    is( $api->cpanelif('!$haspostgres'), 1,            'cpanelif (wrapped reply)' );
    is( $api->cpanelfeature('fileman'),  1,            'cpanelfeature (wrapped reply)' );
    is( $api->cpanelprint('$homedir'),   '/home/dave', 'cpanelprint' );
    is( $api->fetch('$user')->{cpanelresult}{data}{result}, 'dave', 'fetch' );
    my $sent = "a </cpanelresult> b & <x> c/d \x{e9}\x{263a}";
    my $echo = $api->uapi( 'Test', 'echo', { s => $sent, b => "\xc3\xa9\xe2\x98\xba" } )->{cpanelresult}{result}{data}{args};
    if ( $api->utf8_strings ) {
        is( $echo->{s}, $sent, 'echo of markup and non-ASCII, as characters' );
        is( $echo->{b}, "\x{e9}\x{263a}", 'UTF-8 bytes sent, characters back' );
    }
    else {
        is( $echo->{s}, Encode::encode( 'UTF-8', $sent ), 'echo of markup and non-ASCII, as UTF-8 bytes' );
        is( $echo->{b}, "\xc3\xa9\xe2\x98\xba", 'UTF-8 bytes sent and returned unchanged' );
    }
    return;
}

for my $flags ( [], ['--pretty'], ['--no-xml-decl'], ['--newline-before-close'], ['--ascii'], ['--escape-slash'],
    [ '--pretty', '--no-xml-decl', '--newline-before-close' ] )
{
    my $label = @$flags ? "@$flags" : 'default settings';
    subtest "reply forms with $label" => sub {
        my $server = LiveAPITest::ReferenceServer->start(@$flags);
        for my $utf8_strings ( 0, 1 ) {
            my $api = Cpanel::LiveAPI->new( { socket => $server->socket, timeout => 10, utf8_strings => $utf8_strings } );
            check_reply_forms($api);
            my $started = Time::HiRes::time();
            ok( $api->end, 'end' );
            cmp_ok( Time::HiRes::time() - $started, '<', 2, 'end returned promptly' );
        }
    };
}

subtest 'slow call with --keepalive 1' => sub {
    my $server = LiveAPITest::ReferenceServer->start( '--keepalive', '1' );

    # The inactivity timeout is shorter than the call; only the keep-alive
    # lines (one a second) let it succeed.
    my $api     = Cpanel::LiveAPI->new( { socket => $server->socket, timeout => 1.8 } );
    my $started = Time::HiRes::time();
    my $reply   = $api->uapi( 'Slow', 'sleep', { seconds => 2 } );
    my $took    = Time::HiRes::time() - $started;
    cmp_ok( $took, '>=', 1.9, 'the server took its time' );
    cmp_ok( $took, '<',  6,   'and the reply was read as soon as it came' );
    same_json( $reply->{cpanelresult}{result}{data}, { module => 'Slow', func => 'sleep', args => { seconds => 2 } }, 'slow reply decoded' );
    is( $api->{_rbuf}, '', 'nothing left over' );
    check_reply_forms($api);
    ok( $api->end, 'end' );
};

subtest 'slow call without keep-alive and a short timeout: dies, never returns the late reply' => sub {
    my $server = LiveAPITest::ReferenceServer->start();
    my $api    = Cpanel::LiveAPI->new( { socket => $server->socket, timeout => 0.5 } );
    ok( !eval { $api->uapi( 'Slow', 'sleep', { seconds => 2 } ); 1 }, 'dies' );
    like( $@, qr/timed out after 0\.5 s waiting for a reply/, 'timeout message' );
    ok( !eval { $api->cpanelprint('$user'); 1 }, 'next call dies as well' );
    like( $@, qr/The Live Socket has closed/, 'the connection was closed' );
};

# --no-pad-guard lets the server send replies of exactly 32768*k+1 bytes
# (the echo is padded with the UAPI arg _target_len). The debug log records
# each reply's size, which proves the sizes really were hit.
for my $guard ( [ 'with --no-pad-guard', ['--no-pad-guard'], 0 ], [ 'with the server guard (one byte longer)', [], 1 ] ) {
    my ( $label, $flags, $extra ) = @$guard;
    subtest "replies of 32 769, 65 537 and 98 305 bytes in one session, $label" => sub {
        my $server = LiveAPITest::ReferenceServer->start(@$flags);
        my $log    = short_tempdir() . '/debug.log';
        my $api    = Cpanel::LiveAPI->new( { socket => $server->socket, timeout => 10, debug_level => 1, debug_log => $log } );
        for my $size ( 32769, 65537, 98305 ) {
            my $reply = $api->uapi( 'Test', 'echo', { _target_len => $size, tag => "t$size" } );
            my $data  = $reply->{cpanelresult}{result}{data};
            is( $data->{args}{tag}, "t$size", "$size: decoded" );
            cmp_ok( length $data->{pad}, '>', $size - 400, "$size: padded" );
            is( $api->{_rbuf}, '', "$size: final LF consumed" );
            is( $api->cpanelprint('$homedir'), '/home/dave', "$size: the next call decodes" );
        }
        check_reply_forms($api);
        $api->end;

        open my $fh, '<', $log or die "$log: $!";
        my @sizes = map { /RECV \((\d+) bytes\)/ ? $1 : () } <$fh>;
        for my $size ( 32769, 65537, 98305 ) {
            ok( ( grep { $_ == $size + $extra } @sizes ), "a reply of exactly @{[ $size + $extra ]} bytes was read" );
        }
    };
}

subtest 'a server that answers the shutdown (--shutdown-reply)' => sub {
    my $server = LiveAPITest::ReferenceServer->start('--shutdown-reply');
    my $api    = Cpanel::LiveAPI->new( { socket => $server->socket } );
    is( $api->cpanelprint('$user'), 'dave', 'works' );
    my $started = Time::HiRes::time();
    ok( $api->end, 'end' );
    cmp_ok( Time::HiRes::time() - $started, '<', 2, 'end returned promptly' );
};

done_testing();
