use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use Cpanel::LiveAPI ();
use LiveAPITest::FakeServer ();
use LiveAPITest::Paths qw(short_tempdir);
use LiveAPITest::ReferenceServer ();
use LiveAPITest::Util qw(frame);

# The debug log records the traffic but never a password: not in requests,
# not in replies that echo the arguments, not in error messages.

my $password = 'Pw-4-debug-LOG!';
my $dir      = short_tempdir();

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    return do { local $/; <$fh> };
}

SKIP: {
    my $why = LiveAPITest::ReferenceServer->unavailable_reason;
    skip $why, 1 if $why;

    subtest 'requests and replies are logged, passwords are not' => sub {
        my $server = LiveAPITest::ReferenceServer->start();
        my $log    = "$dir/live.log";
        my $api    = Cpanel::LiveAPI->new( { socket => $server->socket, debug_log => $log } );
        is( $api->get_debug_level, 0, 'debug off by default' );
        is( $api->get_debug_log,   $log, 'get_debug_log returns the chosen path' );

        ok( $api->set_debug(1), 'set_debug(1)' );
        is( $api->get_debug_level, 1, 'level 1' );
        $api->uapi( 'Email', 'passwd_pop', { email => 'user', password => $password, domain => 'example.com' } );
        my $echo = $api->uapi( 'Test', 'echo', { password => $password, new_password => "x$password", note => 'visible-note' } );
        is( $echo->{cpanelresult}{result}{data}{args}{password}, $password, 'the caller still gets the real echoed value' );
        $api->api1( 'Email', 'passwdpop', [ 'user', $password, 0, 'example.com' ] );
        $api->cpanelprint('$homedir');

        my $text = slurp($log);
        like( $text, qr/\(exec\) SEND:<cpaneljson enable="1">|\(exec\) SEND:<cpanelaction>/, 'requests logged' );
        like( $text, qr/"func":"passwd_pop"/,                  'the passwd_pop request is there' );
        like( $text, qr/"password":"\*{8}"/,                   'password argument redacted' );
        like( $text, qr/"new_password":"\*{8}"/,               'any *pass* argument redacted' );
        like( $text, qr/visible-note/,                         'other arguments are logged' );
        like( $text, qr/RECV \(\d+ bytes\):.*"module":"Test"/, 'replies logged with their size' );
        like( $text, qr/"args":\["\*{8}","\*{8}","\*{8}","\*{8}"\],"func":"passwdpop"/,
            'positional args of a password API1 function redacted' );
        like( $text, qr{/home/dave}, 'cpanelprint traffic logged' );
        unlike( $text, qr/\Q$password\E/, 'the password appears nowhere in the log' );

        my $size = -s $log;
        ok( $api->set_debug(0), 'set_debug(0)' );
        $api->cpanelprint('$user');
        is( -s $log, $size, 'nothing logged when off' );
        $api->end;
    };

    # Non-ASCII passwords, as UTF-8 bytes (no UTF8 flag) and as characters,
    # echoed by the server as raw UTF-8 or as \uXXXX escapes (and \/).
    my $utf8_bytes = "Zq9-\xc3\xa4-\xe2\x82\xac-Vk7/w";
    my $characters = "Zq9-\x{e4}-\x{20ac}-Vk7/w";
    for my $flags ( [], [ '--ascii', '--escape-slash' ] ) {
        for my $case ( [ 'UTF-8 bytes', $utf8_bytes ], [ 'characters', $characters ], [ 'Latin-1 bytes', "Zq9-\xe4-Vk7/w" ] ) {
            my ( $kind, $secret ) = @$case;
            for my $utf8_strings ( 0, 1 ) {
                my $label = "password as $kind, replies " . ( @$flags ? "@$flags" : 'raw' ) . ( $utf8_strings ? ', utf8_strings' : '' );
                subtest "redaction: $label" => sub {
                    my $server = LiveAPITest::ReferenceServer->start(@$flags);
                    my $log    = short_tempdir() . '/live.log';
                    my $api    = Cpanel::LiveAPI->new( { socket => $server->socket, debug_level => 1, debug_log => $log, utf8_strings => $utf8_strings } );
                    my $echo   = $api->uapi( 'Test', 'echo', { password => $secret, note => $secret, list => [$secret] } )->{cpanelresult}{result}{data}{args};
                    ok( defined $echo->{note}, 'echoed under a key that is not secret' );
                    $api->uapi( 'Email', 'passwd_pop', { email => 'user', password => $secret, domain => 'example.com' } );
                    $api->api1( 'Email', 'passwdpop', [ 'user', $secret, 0, 'example.com' ] );
                    $api->end;
                    my $text = slurp($log);
                    like( $text, qr/"note":"\*{8}","password":"\*{8}"/, 'request: the secret value redacted, also where repeated' );
                    like( $text, qr/RECV .*"note":"\*{8}"/, 'reply: the echo redacted' );
                    unlike( $text, qr/Zq9|Vk7/, 'no part of the password anywhere in the log' );
                };
            }
        }
    }

    subtest 'package variables turn logging on, like the official module' => sub {
        my $server = LiveAPITest::ReferenceServer->start();
        local $Cpanel::LiveAPI::LIVEAPI_DEBUG_LEVEL = 1;
        local $Cpanel::LiveAPI::LIVEAPI_DEBUG_LOG   = "$dir/global.log";
        my $api = Cpanel::LiveAPI->new( { socket => $server->socket } );
        is( $api->get_debug_level, 1, 'level from $LIVEAPI_DEBUG_LEVEL' );
        $api->cpanelprint('$user');
        $api->end;
        like( slurp("$dir/global.log"), qr/SEND:<cpaneljson enable="1">/, 'the JSON switch was logged' );
        like( slurp("$dir/global.log"), qr/SEND:<cpanelxml shutdown="1" \/>/, 'the shutdown was logged' );
    };
}

subtest 'set_debug with a non-integer' => sub {
    my $fake = LiveAPITest::FakeServer->start( replies => [ LiveAPITest::FakeServer::SWITCH_REPLY ] );
    my $api  = Cpanel::LiveAPI->new( { socket => $fake->socket, debug_level => 1, debug_log => "$dir/ni.log" } );
    is( $api->get_debug_level, 1, 'on' );
    open my $saved, '>&', \*STDERR or die $!;
    close STDERR;
    open STDERR, '>', "$dir/stderr" or die $!;
    $api->set_debug('verbose');
    open STDERR, '>&', $saved or die $!;
    is( $api->get_debug_level, 0, 'turned off' );
    like( slurp("$dir/stderr"), qr/set_debug given non-integer value, disabling debug logging/, 'with the official warning' );
    $api->end;
    $fake->finish;
};

subtest 'error messages and the log of a bad reply hide the password' => sub {
    my $fake = LiveAPITest::FakeServer->start(
        replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, "junk that echoes $password back\n" ]
    );
    my $log = "$dir/bad.log";
    my $api = Cpanel::LiveAPI->new( { socket => $fake->socket, debug_level => 1, debug_log => $log } );
    ok( !eval { $api->uapi( 'Email', 'passwd_pop', { email => 'user', password => $password, domain => 'example.com' } ); 1 }, 'dies' );
    like( $@, qr/malformed reply: expected a <cpanelresult> frame, got "junk that echoes \*{8} back/, 'the reply is quoted, redacted' );
    unlike( $@, qr/\Q$password\E/, 'no password in the error' );
    unlike( slurp($log), qr/\Q$password\E/, 'no password in the log' );
    like( slurp($log), qr/ERROR: malformed reply/, 'the error is logged' );
    $fake->finish;

    my $fake2 = LiveAPITest::FakeServer->start(
        replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, frame(qq(["$password"])) ]
    );
    my $api2 = Cpanel::LiveAPI->new( { socket => $fake2->socket } );
    ok( !eval { $api2->uapi( 'Email', 'passwd_pop', { password => $password } ); 1 }, 'array reply dies' );
    like( $@, qr/does not hold a JSON object: "\[\\"\*{8}\\"\]"/, 'quoted and redacted' );
    $fake2->finish;
};

subtest 'a non-ASCII password echoed in a bad reply is hidden, whatever its kind' => sub {
    my $bytes = "Zq9-\xc3\xa4-\xe2\x82\xac-Vk7";
    my $chars = "Zq9-\x{e4}-\x{20ac}-Vk7";
    for my $case ( [ 'bytes', $bytes, "Zq9-\xc3\xa4-\xe2\x82\xac-Vk7" ], [ 'characters', $chars, "Zq9-\xc3\xa4-\xe2\x82\xac-Vk7" ],
        [ 'characters, \u-escaped echo', $chars, 'Zq9-\u00E4-\u20ac-Vk7' ] )
    {
        my ( $label, $secret, $echoed ) = @$case;
        my $log  = "$dir/bad-$label.log";
        my $fake = LiveAPITest::FakeServer->start(
            replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, frame(qq({"a":"$echoed"},)), frame(qq({"a":"$echoed"})) ] );
        my $api = Cpanel::LiveAPI->new( { socket => $fake->socket, debug_level => 1, debug_log => $log } );
        ok( !eval { $api->uapi( 'Email', 'passwd_pop', { password => $secret } ); 1 }, "$label: invalid JSON dies" );
        like( $@, qr/malformed reply: invalid JSON/, "$label: message" );
        unlike( $@, qr/Zq9|Vk7/, "$label: no part of the password in the error" );
        unlike( slurp($log), qr/Zq9|Vk7/, "$label: nor in the log" );
        $fake->finish;
    }
};

done_testing();
