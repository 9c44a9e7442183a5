use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use IO::Socket::UNIX ();
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes ();
use Cpanel::LiveAPI ();
use LiveAPITest::Paths qw(short_tempdir);
use LiveAPITest::FakeServer ();
use LiveAPITest::ReferenceServer ();
use LiveAPITest::Util qw(frame);

# Every failure dies with "Cpanel::LiveAPI: ..." reported at the caller's
# line; nothing returns an error value, nothing returns a stale result.

my $here = qr/ at \Q$0\E line \d+\.?\n\z/;

sub dies_like {
    my ( $code, $pattern, $name ) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = eval { $code->(); 1 };
    my $error = $@;
    ok( !$ok, "$name: dies" ) or return;
    like( $error, qr/\ACpanel::LiveAPI: /, "$name: message names the module" );
    like( $error, $pattern, "$name: message" );
    like( $error, $here,    "$name: reported at the caller" );
    return $error;
}

my $dir = short_tempdir();

subtest 'no socket in the environment' => sub {
    delete local $ENV{CPANEL_CONNECT_SOCKET};
    delete local $ENV{CPANEL_PHPCONNECT_SOCKET};
    dies_like( sub { Cpanel::LiveAPI->new }, qr/neither CPANEL_CONNECT_SOCKET nor CPANEL_PHPCONNECT_SOCKET is set/, 'unset' );
    local $ENV{CPANEL_CONNECT_SOCKET}    = '';
    local $ENV{CPANEL_PHPCONNECT_SOCKET} = '';
    dies_like( sub { Cpanel::LiveAPI->new }, qr/neither CPANEL_CONNECT_SOCKET nor CPANEL_PHPCONNECT_SOCKET is set/, 'empty' );
};

subtest 'socket problems' => sub {
    local $ENV{CPANEL_CONNECT_SOCKET} = "$dir/missing.sock";
    dies_like( sub { Cpanel::LiveAPI->new }, qr{socket \Q$dir\E/missing\.sock does not exist}, 'missing socket' );

    my $long = "$dir/" . ( 'x' x 120 ) . '.sock';
    dies_like( sub { Cpanel::LiveAPI->new( { socket => $long } ) }, qr/socket path is longer than 107 bytes/, 'path too long' );

    open my $fh, '>', "$dir/plain-file" or die $!;
    close $fh;
    dies_like( sub { Cpanel::LiveAPI->new( { socket => "$dir/plain-file" } ) }, qr/cannot connect to the cPanel engine at \Q$dir\E\/plain-file: /,
        'not a socket' );

    # A socket file left behind by an engine that is gone.
    my $listener = IO::Socket::UNIX->new( Type => SOCK_STREAM, Local => "$dir/stale.sock", Listen => 1 ) or die $!;
    close $listener;
    dies_like( sub { Cpanel::LiveAPI->new( { socket => "$dir/stale.sock" } ) }, qr/cannot connect to the cPanel engine .*: Connection refused/,
        'stale socket' );
};

subtest 'bad options' => sub {
    dies_like( sub { Cpanel::LiveAPI->new( { sockett => 'x' } ) }, qr/unknown option\(s\) to new\(\): sockett/, 'unknown option' );
    dies_like( sub { Cpanel::LiveAPI->new( { timeout => 'soon' } ) }, qr/timeout must be a positive number of seconds/, 'bad timeout' );
    dies_like( sub { Cpanel::LiveAPI->new( { timeout => 0 } ) }, qr/timeout must be a positive number of seconds/, 'zero timeout' );
};

subtest 'bad arguments die before anything is sent; the connection stays usable' => sub {
    my $fake = LiveAPITest::FakeServer->start(
        replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, frame('{"apiversion":"1","error":"Unexpected.","data":["not","a","hash"]}') ]
    );
    my $api = Cpanel::LiveAPI->new( { socket => $fake->socket } );
    dies_like( sub { $api->uapi( 'Email', 'passwd_pop', { email => bless( {}, 'Some::Object' ) } ) },
        qr/cannot encode the arguments of Email::passwd_pop as JSON: /, 'an object argument' );
    my $circular = { name => 'loop' };
    $circular->{self} = $circular;
    dies_like( sub { $api->uapi( 'Email', 'passwd_pop', { email => $circular } ) },
        qr/cannot encode the arguments of Email::passwd_pop as JSON: the arguments are nested more than 512 levels deep/, 'a circular structure' );
    delete $circular->{self};
    dies_like( sub { $api->exec('') }, qr/exec\(\) needs the request text to send/, 'exec without text' );
    is( $api->cpanelif('$haspostgres'), undef, 'cpanelif on a reply without data.result returns undef' );
    ok( $api->end, 'end' );
    $fake->finish;
    is( scalar( () = $fake->requests ), 3, 'only the switch, the cpanelif and the shutdown were sent' );
};

if ( my $why = LiveAPITest::ReferenceServer->unavailable_reason ) {
    diag "skipping the server tests: $why";
    done_testing();
    exit;
}

subtest 'server killed between calls' => sub {
    my $server = LiveAPITest::ReferenceServer->start();
    my $api    = Cpanel::LiveAPI->new( { socket => $server->socket } );
    is( $api->cpanelprint('$user'), 'dave', 'first call works' );
    $server->kill_now;
    dies_like( sub { $api->cpanelprint('$user') }, qr/connection lost/, 'next call' );
    dies_like( sub { $api->cpanelprint('$user') }, qr/The Live Socket has closed, unable to continue\./, 'the call after that' );
    ok( $api->end, 'end() on a dead connection returns' );
};

subtest 'server killed while a call waits for its reply' => sub {
    my $server = LiveAPITest::ReferenceServer->start();
    my $api    = Cpanel::LiveAPI->new( { socket => $server->socket } );
    my $pid    = $server->pid;
    local $SIG{ALRM} = sub { kill 'KILL', $pid };
    Time::HiRes::alarm(0.5);
    my $started = Time::HiRes::time();
    dies_like( sub { $api->uapi( 'Slow', 'sleep', { seconds => 5 } ) }, qr/connection lost/, 'the waiting call' );
    Time::HiRes::alarm(0);
    cmp_ok( Time::HiRes::time() - $started, '<', 3, 'died as soon as the server was gone' );
    $server->stop;
};

subtest 'a forked child neither uses nor ends its parent\'s connection' => sub {
    my $server = LiveAPITest::ReferenceServer->start();
    my $api    = Cpanel::LiveAPI->new( { socket => $server->socket } );
    is( $api->cpanelprint('$user'), 'dave', 'parent connection works' );

    pipe( my $reader, my $writer ) or die "pipe: $!";
    my $pid = fork;
    die "fork: $!" if !defined $pid;
    if ( !$pid ) {
        close $reader;
        my $ok = eval { $api->cpanelprint('$user'); 1 };
        print {$writer} $ok ? "no error\n" : $@;
        close $writer;
        undef $api;    # runs DESTROY in the child: must not send the shutdown
        exit 0;        # a normal exit, with global destruction
    }
    close $writer;
    my $child_error = do { local $/; <$reader> };
    waitpid( $pid, 0 );
    like( $child_error, qr/this connection belongs to process $$; create a new Cpanel::LiveAPI object/, 'the child gets an error' );
    is( $api->cpanelprint('$homedir'), '/home/dave', 'the parent\'s session is intact after the child exited' );
    ok( $api->end, 'parent ends its session' );
};

done_testing();
