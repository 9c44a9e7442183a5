use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use Encode ();
use File::Spec ();
use IO::Socket::UNIX ();
use JSON::PP ();
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes ();
use Cpanel::LiveAPI ();
use Cpanel::LiveAPI::Template ();
use LiveAPITest::Liveapid ();
use LiveAPITest::Paths qw(dist_root);

# The shim against liveapid itself, on a scratch account. Runs only when
# LIVEAPID_BIN names the daemon binary.

if ( my $why = LiveAPITest::Liveapid->unavailable_reason ) {
    plan skip_all => $why;
}

my $old_password = LiveAPITest::Liveapid->initial_password;
my $new_password = '12345luggage';
my $too_weak     = 'The given password is too weak. Please enter a password with a strength rating of 65 or higher.';
my %seed_args    = ( email => 'user', password => $new_password, domain => 'example.com' );

my $daemon = LiveAPITest::Liveapid->start( min_strength => 60 );
delete local $ENV{CPANEL_PHPCONNECT_SOCKET};
local $ENV{CPANEL_CONNECT_SOCKET} = $daemon->socket;

sub accepts {
    my ( $password, $hash ) = @_;
    return crypt( Encode::encode( 'UTF-8', $password ), $hash ) eq $hash;
}

# crypt() of exactly these bytes.
sub accepts_bytes {
    my ( $bytes, $hash ) = @_;
    die 'accepts_bytes needs a byte string' if utf8::is_utf8($bytes);
    return crypt( $bytes, $hash ) eq $hash;
}

subtest 'seed call: passwd_pop with minpwstrength=60' => sub {
    my $before       = $daemon->shadow_hash( 'example.com', 'user' );
    my $alice_before = $daemon->shadow_hash( 'example.com', 'alice' );
    my $net_before   = $daemon->shadow_hash( 'example.net', 'user' );
    ok( accepts( $old_password, $before ), 'the fixture hash accepts the initial password' );

    my $reply = Cpanel::LiveAPI->new()->uapi( 'Email', 'passwd_pop', {%seed_args} );
    is( $reply->{cpanelresult}{result}{status}, 1, 'status 1' ) or diag explain $reply;
    is( $reply->{cpanelresult}{result}{errors}, undef, 'no errors' );
    is( $reply->{cpanelresult}{apiversion}, 3, 'UAPI envelope' );

    my $after = $daemon->shadow_hash( 'example.com', 'user' );
    like( $after, qr/\A\$6\$[^\$]{1,16}\$[.\/0-9A-Za-z]{86}\z/, 'a SHA-512 crypt hash' );
    ok( accepts( $new_password, $after ),  'Perl crypt() accepts the new password' );
    ok( !accepts( $old_password, $after ), 'and rejects the old one' );
    is( $daemon->shadow_hash( 'example.com', 'alice' ), $alice_before, 'other mailboxes untouched' );
    is( $daemon->shadow_hash( 'example.net', 'user' ),  $net_before,   'same name in the other domain untouched' );
};

subtest 'minpwstrength=65 is read on the next call' => sub {
    my $before = $daemon->shadow_hash( 'example.com', 'user' );
    $daemon->set_min_strength(65);
    my $reply  = Cpanel::LiveAPI->new()->uapi( 'Email', 'passwd_pop', {%seed_args} );
    my $result = $reply->{cpanelresult}{result};
    is( $result->{status}, 0, 'status 0' );
    is_deeply( $result->{errors}, [$too_weak], 'the strength error' );
    is( $daemon->shadow_hash( 'example.com', 'user' ), $before, 'shadow file unchanged' );
};

SKIP: {
    skip 'Template Toolkit is not installed', 1 if !eval { require Template; 1 };

    subtest 'Template Toolkit execute() against liveapid' => sub {
        my $api  = Cpanel::LiveAPI->new();
        my $vars = Cpanel::LiveAPI::Template->vars($api);
        my $template = <<'TT';
[% SET r = execute('Email', 'passwd_pop', {email => 'user', password => pw, domain => 'example.com'}) -%]
status=[% r.status %]
[% FOREACH e IN r.errors %]error=[% e %]
[% END -%]
TT
        my $tt  = Template->new;
        my $out = '';
        ok( $tt->process( \$template, { %$vars, pw => $new_password }, \$out ), 'processed' ) or diag $tt->error;
        is( $out, "status=0\nerror=$too_weak\n", 'status and errors rendered (minpwstrength=65)' );

        $out = '';
        ok( !$tt->process( \q{[% SET r = execute_or_die('Email', 'passwd_pop', {email => 'user', password => pw, domain => 'example.com'}) %]},
                { %$vars, pw => $new_password }, \$out ), 'execute_or_die stops the template' );
        is( $tt->error->info, "Email::passwd_pop(domain=example.com, email=user, password=********) failed: $too_weak\n", 'cPanel-style message' );

        $daemon->set_min_strength(60);
        my $changed = 'Tt-Changed-Pass-2468';
        $out = '';
        ok( $tt->process( \$template, { %$vars, pw => $changed }, \$out ), 'processed again' ) or diag $tt->error;
        is( $out, "status=1\n", 'status 1 once the strength requirement is met again' );
        ok( accepts( $changed, $daemon->shadow_hash( 'example.com', 'user' ) ), 'the template changed the password' );
        ok( $api->end, 'end' );
    };
}

subtest 'other reply forms from liveapid' => sub {
    my $api = Cpanel::LiveAPI->new();
    is( $api->cpanelprint('$homedir'), $daemon->home, 'cpanelprint $homedir' );
    is( $api->fetch('$user')->{cpanelresult}{data}{result}, 'demo', 'fetch $user' );
    like( $api->cpanelif('$haspostgres'), qr/\A[01]\z/, 'cpanelif gives 0 or 1' );

    my $api2 = $api->api2( 'Email', 'no_such_function', { domain => 'example.com' } );
    ok( !exists $api2->{cpanelresult}{cpanelresult}, 'api2 reply wrapped once' );
    is( $api2->{cpanelresult}{event}{result}, 0, 'unknown API2 function: event.result 0' );

    my $missing = $api->uapi( 'Email', 'passwd_pop', { email => 'nobody', password => 'Xy-Long-Enough-8642', domain => 'example.com' } );
    is( $missing->{cpanelresult}{result}{status}, 0, 'unknown mailbox: status 0' );
    like( $missing->{cpanelresult}{result}{errors}[0], qr/nobody\@example\.com/, 'error names the mailbox' );

    # Characters above U+00FF: the official module could not send this at all.
    my $unicode = "Gr\x{fc}\x{df}e-\x{263a}-Secret-2024";
    my $reply = $api->uapi( 'Email', 'passwd_pop', { email => 'alice', password => $unicode, domain => 'example.net' } );
    is( $reply->{cpanelresult}{result}{status}, 1, 'non-ASCII password accepted' );
    ok( accepts( $unicode, $daemon->shadow_hash( 'example.net', 'alice' ) ), 'hashed from its UTF-8 bytes' );

    my $started = Time::HiRes::time();
    ok( $api->end, 'end' );
    cmp_ok( Time::HiRes::time() - $started, '<', 2, 'end returned promptly' );
};

subtest 'a password as UTF-8 bytes and as characters is the same password' => sub {
    $daemon->set_min_strength(60);
    my $api = Cpanel::LiveAPI->new();
    my %password = (
        'Latin-1 range (the official module sent these as Latin-1)' => "P\xc3\xa4ssw\xc3\xb6rt-\xc3\x9cml-Latin-1357",
        'beyond U+00FF (the official module died on these)'        => "Gr\xc3\xbc\xc3\x9fe-\xe2\x98\xba-\xe2\x82\xac-Bytes-2468",
    );
    for my $label ( sort keys %password ) {
        my $bytes = $password{$label};                       # as a legacy script holds it (a file, @ARGV)
        my $chars = Encode::decode( 'UTF-8', $bytes );      # the same password, decoded
        ok( !utf8::is_utf8($bytes) && utf8::is_utf8($chars), "$label: one byte string, one character string" );
        my %hash;
        for my $form ( [ 'byte string', $bytes ], [ 'character string', $chars ] ) {
            my ( $kind, $password ) = @$form;
            my $reply = $api->uapi( 'Email', 'passwd_pop', { email => 'bob', password => $password, domain => 'example.net' } );
            is( $reply->{cpanelresult}{result}{status}, 1, "$label, $kind: status 1" )
              or diag explain $reply->{cpanelresult}{result}{errors};
            $hash{$kind} = $daemon->shadow_hash( 'example.net', 'bob' );
            ok( accepts_bytes( $bytes, $hash{$kind} ), "$label, $kind: crypt() accepts the UTF-8 bytes of the password" );
            ok( !accepts_bytes( Encode::encode( 'UTF-8', $bytes ), $hash{$kind} ), "$label, $kind: not bytes encoded twice" );
        }
        isnt( $hash{'byte string'}, $hash{'character string'}, "$label: two hashes (new salt each time) of the same password" );
    }

    # Like the official module, a byte string that is not UTF-8 goes out as
    # its bytes; liveapid reads such a request as Latin-1.
    my $latin1 = "Caf\xe9-Cr\xe8me-Latin1-2468";
    is( $api->uapi( 'Email', 'passwd_pop', { email => 'bob', password => $latin1, domain => 'example.net' } )->{cpanelresult}{result}{status},
        1, 'a Latin-1 byte string password: status 1' );
    ok( accepts_bytes( "Caf\xc3\xa9-Cr\xc3\xa8me-Latin1-2468", $daemon->shadow_hash( 'example.net', 'bob' ) ),
        'read as Latin-1: the hash is of the UTF-8 bytes of its characters' );

    my $errors = $api->uapi( 'Email', 'passwd_pop', { email => "n\xc3\xb6body", password => 'Xy-Long-Enough-8642', domain => 'example.com' } )
      ->{cpanelresult}{result}{errors};
    ok( ( grep { /n\xc3\xb6body/ && !utf8::is_utf8($_) } @{ $errors || [] } ), 'non-ASCII text in a reply comes back as UTF-8 bytes' )
      or diag explain $errors;
    $api->end;
};

subtest 'a client that dies mid-call leaves the daemon serving' => sub {
    # 1. Dies in the middle of sending a request.
    my $pid = fork;
    die "fork: $!" if !defined $pid;
    if ( !$pid ) {
        my $socket = IO::Socket::UNIX->new( Type => SOCK_STREAM, Peer => $daemon->socket ) or POSIX::_exit(2);
        syswrite( $socket, qq{23\n<cpaneljson enable="1">} );
        sysread( $socket, my $reply, 4096 );
        syswrite( $socket, qq|200\n<cpanelaction>\n{"apiversion":"uapi","module":"Email","func":"passwd_pop","args":{"email":"us| );
        POSIX::_exit(0);
    }
    waitpid( $pid, 0 );
    is( $? >> 8, 0, 'child 1 sent half a request and exited' );

    # 2. Sends a whole call and is killed before it reads the reply.
    $pid = fork;
    die "fork: $!" if !defined $pid;
    if ( !$pid ) {
        my $api = Cpanel::LiveAPI->new();
        my $payload = qq({"apiversion":"uapi","module":"Email","func":"passwd_pop","reqtype":"exec","args":{"email":"bob","password":"Bob-Child-Pass-9753","domain":"example.com"}});
        my $request = "<cpanelaction>\n$payload\n</cpanelaction>";
        syswrite( $api->{_cpanelfh}, length($request) . "\n" . $request );
        kill 'KILL', $$;
    }
    waitpid( $pid, 0 );
    is( $? & 127, 9, 'child 2 was killed mid-call' );

    Time::HiRes::sleep(0.3);
    ok( $daemon->running, 'the daemon is still running' );
    my $api = Cpanel::LiveAPI->new();
    is( $api->cpanelprint('$homedir'), $daemon->home, 'a new connection is served' );
    is( $api->uapi( 'Email', 'passwd_pop', {%seed_args} )->{cpanelresult}{result}{status}, 1, 'and can change a password' );
    ok( accepts( $new_password, $daemon->shadow_hash( 'example.com', 'user' ) ), 'the change is on disk' );
    $api->end;
};

subtest 'examples/passwd_pop.live.pl against liveapid' => sub {
    my $script = File::Spec->catfile( dist_root(), 'examples', 'passwd_pop.live.pl' );
    my $lib    = File::Spec->catdir( dist_root(), 'lib' );
    delete local $ENV{GATEWAY_INTERFACE};
    $daemon->set_min_strength(60);
    my $before = $daemon->shadow_hash( 'example.com', 'user' );
    my $output = `$^X -I$lib $script`;
    is( $? >> 8, 0, 'exit status 0' );
    my $reply = eval { JSON::PP->new->utf8->decode($output) };
    is( $reply && $reply->{cpanelresult}{result}{status}, 1, 'prints the reply with status 1' ) or diag $output;
    my $after = $daemon->shadow_hash( 'example.com', 'user' );
    isnt( $after, $before, 'the hash was rewritten (new salt)' );
    ok( accepts( $new_password, $after ), 'and accepts the seed password' );

    # A legacy script gets its password from @ARGV as UTF-8 bytes and passes
    # it on unchanged.
    my $argv_password = "\xc3\x84rgv-Pass-\xe2\x82\xac-Word-9753";
    $output = `$^X -I$lib $script '$argv_password'`;
    is( $? >> 8, 0, 'a UTF-8 password from the command line: exit status 0' ) or diag $output;
    ok( accepts_bytes( $argv_password, $daemon->shadow_hash( 'example.com', 'user' ) ), 'crypt() accepts those bytes' );
};

subtest 'a request over --max-request-bytes dies with the daemon text and closes the session' => sub {
    my $small = LiveAPITest::Liveapid->start( min_strength => 60, serve_options => [ '--max-request-bytes', '4096' ] );
    my $api   = Cpanel::LiveAPI->new( { socket => $small->socket, timeout => 5 } );
    is( $api->uapi( 'Email', 'list_pops', { regex => 'x' } )->{cpanelresult}{result}{status}, 1, 'a small call works' );
    ok( !eval { $api->uapi( 'Email', 'list_pops', { regex => 'x' x 10000 } ); 1 }, 'a 10000-byte argument dies' );
    like( $@, qr/\ACpanel::LiveAPI: .*limit of 4096 bytes/, 'with the daemon text' );
    ok( !$api->{connected}, 'the connection is marked closed' );
    ok( $api->end, 'end() returns' );
    ok( !eval { $api->cpanelprint('$user'); 1 }, 'a later call dies' );
    like( $@, qr/The Live Socket has closed/, 'as on a closed session' );
    ok( defined $small->stop, 'that daemon stops on SIGTERM' );
};

subtest 'the debug log hides every secret argument sent to liveapid' => sub {
    my $secret = 'Dbg-Secret-Value/9&x';
    my $log    = File::Spec->catfile( LiveAPITest::Paths::short_tempdir(), 'debug.log' );
    my $api    = Cpanel::LiveAPI->new( { debug_log => $log } );
    ok( $api->set_debug(1), 'set_debug(1)' );
    is( $api->uapi( 'Email', 'passwd_pop', { %seed_args, password => $secret } )->{cpanelresult}{result}{status}, 1, 'the password is changed' );
    $api->uapi( 'Email', 'verify_password', { email => 'user', password => $secret } );
    $api->uapi( 'Email', 'add_pop', { email => 'hashed', password_hash => $secret } );
    $api->uapi( 'Email', 'no_such_function', { pass => $secret, secret => $secret, token => $secret } );
    $api->end;
    ok( accepts( $secret, $daemon->shadow_hash( 'example.com', 'user' ) ), 'crypt() accepts the new password' );
    open my $fh, '<', $log or die "$log: $!";
    my $text = do { local $/; <$fh> };
    for my $name (qw(password pass secret token password_hash)) {
        like( $text, qr/"\Q$name\E":"\*{8}"/, "$name redacted" );
    }
    like( $text, qr/"func":"no_such_function"/, 'the calls are logged' );
    unlike( $text, qr/Dbg-Secret/, 'no secret anywhere in the log' );
};

subtest '</cpanelresult> inside a value is decoded whole' => sub {
    my $api   = Cpanel::LiveAPI->new();
    my $name  = 'x</cpanelresult>y';
    my $reply = $api->uapi( 'Email', 'passwd_pop', { email => $name, password => 'Whatever-Pw-12345' } );
    my $want  = Encode::encode( 'UTF-8',
        "\x{201c}$name\x{201d} is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # \$ - = ? ^ _ { } ~." );
    is_deeply( $reply->{cpanelresult}{result}{errors}, [$want], 'the error echoes the name whole' );
    is( $api->uapi( 'Email', 'list_pops', {} )->{cpanelresult}{result}{status}, 1, 'the session goes on' );
    $api->end;
};

subtest 'SIGTERM stops the daemon' => sub {
    my $status = $daemon->stop;
    ok( defined $status, 'exited without SIGKILL' );
    ok( !-e $daemon->socket || !IO::Socket::UNIX->new( Type => SOCK_STREAM, Peer => $daemon->socket ), 'no longer accepting connections' );
};

done_testing();
