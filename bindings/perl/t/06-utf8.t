use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use Encode ();
use JSON::PP ();
use Cpanel::LiveAPI ();
use LiveAPITest::FakeServer ();
use LiveAPITest::ReferenceServer ();
use LiveAPITest::Util qw(frame parse_request same_json);

# Strings on the wire and in results (docs/protocol.md sections 2 and 7, Perl).
#
# Requests: a byte string (UTF8 flag off) goes out as its bytes, as with the
# official module: UTF-8 bytes as UTF-8, a Latin-1 byte as that byte. A
# character string (UTF8 flag on) goes out as UTF-8, where the official
# module sent Latin-1 (U+0080..U+00FF) or died (above U+00FF). The length
# prefix counts bytes.
#
# Replies: UTF-8 byte strings, as real cPanel gives them to scripts; with
# utf8_strings => 1, decoded character strings.
#
# No `use utf8` here: every non-ASCII literal is written with escapes, so
# which strings carry the UTF8 flag is plain to see.

binmode Test::More->builder->$_, ':raw' for qw(output failure_output todo_output);

my $ok_reply = frame('{"data":{"result":"ok"}}');

# The payload of a uapi Test::echo call with the given args JSON (bytes).
sub echo_payload {
    my ($args_json) = @_;
    return qq(<cpanelaction>\n{"apiversion":"uapi","args":$args_json,"func":"echo","module":"Test","reqtype":"exec"}\n</cpanelaction>);
}

# Runs the calls against a recording fake server; returns the requests the
# calls sent (without the JSON switch and the shutdown).
sub wire_requests {
    my (@calls) = @_;
    my $fake = LiveAPITest::FakeServer->start( replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, ($ok_reply) x @calls ] );
    my $api  = Cpanel::LiveAPI->new( { socket => $fake->socket } );
    $_->($api) for @calls;
    $api->end;
    $fake->finish;
    my @requests = $fake->requests;
    return @requests[ 1 .. $#requests - 1 ];
}

# The payload of a raw request, after checking that the prefix counts its bytes.
sub payload_of {
    my ( $raw, $name ) = @_;
    my ( $declared, $payload ) = parse_request($raw);
    is( $declared, length $payload, "$name: the length prefix counts bytes" );
    ok( !utf8::is_utf8($payload), "$name: recorded as bytes" );
    return $payload;
}

my $password_bytes = "p\xc3\xa4ss-W\xc3\xb6rd-\xe2\x82\xac-2468";     # UTF-8 bytes, e.g. from a file or @ARGV
my $password_chars = Encode::decode( 'UTF-8', $password_bytes );    # the same password, decoded
my $latin1_only    = Encode::decode( 'UTF-8', "p\xc3\xa4ss" );      # characters, all below U+0100, UTF8 flag on

subtest 'what the argument strings are' => sub {
    ok( !utf8::is_utf8($password_bytes), 'the byte password has no UTF8 flag' );
    ok( utf8::is_utf8($password_chars),  'the decoded password has it' );
    ok( utf8::is_utf8($latin1_only),     'so does a decoded string of Latin-1 characters' );
    is( length $password_chars, 16, '16 characters' );
    is( length $password_bytes, 20, '20 bytes' );
};

subtest 'a UTF-8 byte string goes out as those exact bytes (not encoded again)' => sub {
    my ($raw) = wire_requests( sub {
        $_[0]->uapi( 'Email', 'passwd_pop', { email => 'user', password => $password_bytes, domain => 'example.com' } );
    } );
    my $payload = payload_of( $raw, 'passwd_pop' );
    is( $payload,
        qq(<cpanelaction>\n{"apiversion":"uapi","args":{"domain":"example.com","email":"user","password":"p\xc3\xa4ss-W\xc3\xb6rd-\xe2\x82\xac-2468"},)
          . qq("func":"passwd_pop","module":"Email","reqtype":"exec"}\n</cpanelaction>),
        'the exact payload' );
    like( $raw, qr/\A187\n/, 'prefix 187: the bytes (the password has 4 more bytes than characters)' );
    unlike( $payload, qr/\xc3\x83/, 'no double-encoded UTF-8' );
};

subtest 'a character string (UTF8 flag on) goes out as UTF-8' => sub {
    my ( $euro, $latin1, $as_bytes, $as_chars ) = wire_requests(
        sub { $_[0]->uapi( 'Test', 'echo', { s => "\x{e4}\x{20ac}" } ) },    # U+00E4 and U+20AC
        sub { $_[0]->uapi( 'Test', 'echo', { s => $latin1_only } ) },
        sub { $_[0]->uapi( 'Test', 'echo', { s => $password_bytes } ) },
        sub { $_[0]->uapi( 'Test', 'echo', { s => $password_chars } ) },
    );
    is( payload_of( $euro, 'U+00E4 U+20AC' ), echo_payload(qq({"s":"\xc3\xa4\xe2\x82\xac"})),
        'U+00E4 and U+20AC as UTF-8 (the official module died on U+20AC)' );
    is( payload_of( $latin1, 'decoded Latin-1 range' ), echo_payload(qq({"s":"p\xc3\xa4ss"})),
        'U+00E4 of a character string as UTF-8 (the official module sent the Latin-1 byte)' );
    is( $as_chars, $as_bytes, 'the decoded password and its UTF-8 bytes send the same request' );
};

subtest 'a Latin-1 byte string goes out as its bytes, like the official module' => sub {
    my ( $alone, $upgraded ) = wire_requests(
        sub { $_[0]->uapi( 'Test', 'echo', { s => "caf\xe9" } ) },
        sub { my $s = "caf\xe9"; utf8::upgrade($s); $_[0]->uapi( 'Test', 'echo', { s => $s } ) },
    );
    my $payload = payload_of( $alone, 'Latin-1' );
    is( $payload, echo_payload(qq({"s":"caf\xe9"})), 'the single byte 0xE9 (liveapid reads such a payload as Latin-1)' );
    like( $alone, qr/\A119\n/, 'prefix 119: one byte for U+00E9' );
    is( payload_of( $upgraded, 'upgraded' ), echo_payload(qq({"s":"caf\xc3\xa9"})), 'the same text with the UTF8 flag on goes out as UTF-8' );
};

subtest 'mixed structures: each string by its own flag' => sub {
    my $flagged_key = "cl\x{e9}";
    utf8::upgrade($flagged_key);
    my ($raw) = wire_requests( sub {
        $_[0]->uapi( 'Test', 'echo', {
            $flagged_key  => 'ascii',
            "k\xc3\xb6"   => "\x{263a}",                       # byte key, character value
            bytes         => $password_bytes,
            chars         => "\x{e4}\x{20ac}",
            num           => 42,
            float         => 1.5,
            numstr        => '42',
            list          => [ "\xe2\x82\xac", "\x{e4}\x{20ac}", 7, undef, \1 ],
            nested        => { "\x{20ac}" => { deep => "x\xc3\xa4" } },
            escapes       => qq(q"b\\s/\t\x01),
        } );
    } );
    my $payload = payload_of( $raw, 'mixed' );
    is( $payload,
        echo_payload( qq({"bytes":"p\xc3\xa4ss-W\xc3\xb6rd-\xe2\x82\xac-2468","chars":"\xc3\xa4\xe2\x82\xac","cl\xc3\xa9":"ascii",)
              . qq("escapes":"q\\"b\\\\s/\\t\\u0001","float":1.5,"k\xc3\xb6":"\xe2\x98\xba",)
              . qq("list":["\xe2\x82\xac","\xc3\xa4\xe2\x82\xac",7,null,true],"nested":{"\xe2\x82\xac":{"deep":"x\xc3\xa4"}},"num":42,"numstr":"42"}) ),
        'exact bytes: flagged keys and values as UTF-8, byte strings unchanged, numbers stay numbers' );
    my ($json) = $payload =~ m{\A<cpanelaction>\n(.*)\n</cpanelaction>\z}s;
    my $decoded = eval { JSON::PP->new->utf8->decode($json) };
    ok( $decoded, 'valid UTF-8 JSON' ) or diag $@;
    is( $decoded->{args}{bytes}, $password_chars, 'the byte password reads as the password' );
    is( $decoded->{args}{"cl\x{e9}"}, 'ascii', 'the flagged key reads as itself' );
};

subtest 'Latin-1 bytes next to UTF-8 in one request: converted, so the server reads both' => sub {
    my ( $mixed, $ascii_only ) = wire_requests(
        sub { $_[0]->uapi( 'Test', 'echo', { latin1 => "caf\xe9", utf8 => "\x{20ac}", bytes => "\xc3\xa4" } ) },
        sub { $_[0]->uapi( 'Test', 'echo', { latin1 => "caf\xe9", ascii => 'plain' } ) },
    );
    is( payload_of( $mixed, 'mixed' ), echo_payload(qq({"bytes":"\xc3\xa4","latin1":"caf\xc3\xa9","utf8":"\xe2\x82\xac"})),
        'the Latin-1 string is sent as UTF-8 (a payload mixing both is not readable either way)' );
    is( payload_of( $ascii_only, 'Latin-1 with ASCII' ), echo_payload(qq({"ascii":"plain","latin1":"caf\xe9"})),
        'with only ASCII beside it, the Latin-1 byte goes out unchanged' );
};

subtest 'exec, fetch and API1 strings follow the same rule' => sub {
    my ( $exec_bytes, $exec_chars, $fetch_bytes, $fetch_chars, $api1 ) = wire_requests(
        sub { $_[0]->exec("<cpanel print=\"\xc3\xa9\">") },
        sub { $_[0]->exec("<cpanel print=\"\x{e9}\x{263a}\">") },
        sub { $_[0]->fetch("caf\xe9") },
        sub { $_[0]->fetch("\x{263a}") },
        sub { $_[0]->cpanelprint("\x{263a}") },
    );
    is( payload_of( $exec_bytes, 'exec bytes' ), "<cpanel print=\"\xc3\xa9\">", 'exec: byte text unchanged' );
    is( payload_of( $exec_chars, 'exec chars' ), "<cpanel print=\"\xc3\xa9\xe2\x98\xba\">", 'exec: character text as UTF-8' );
    is( payload_of( $fetch_bytes, 'fetch bytes' ), "<cpanel print=\"caf\xe9\">", 'fetch: Latin-1 byte unchanged' );
    is( payload_of( $fetch_chars, 'fetch chars' ), "<cpanel print=\"\xe2\x98\xba\">", 'fetch: character as UTF-8' );
    like( payload_of( $api1, 'cpanelprint' ), qr/"args":"\xe2\x98\xba"/, 'API1 bare string argument as UTF-8' );
};

subtest 'unencodable code points die before anything is sent' => sub {
    my $fake = LiveAPITest::FakeServer->start( replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, $ok_reply ] );
    my $api  = Cpanel::LiveAPI->new( { socket => $fake->socket } );
    no warnings qw(surrogate non_unicode);
    ok( !eval { $api->uapi( 'Test', 'echo', { s => "bad \x{d800} surrogate" } ); 1 }, 'a lone surrogate dies' );
    like( $@, qr/code point U\+D800, which cannot be sent as UTF-8 at \Q$0\E line/, 'clear message, at the caller' );
    ok( !eval { $api->uapi( 'Test', 'echo', { "k\x{dfff}" => 1 } ); 1 }, 'in a key too' );
    like( $@, qr/code point U\+DFFF/, 'named' );
    ok( !eval { $api->exec("<cpanel print=\"\x{110000}\">"); 1 }, 'beyond U+10FFFF in exec' );
    like( $@, qr/code point U\+110000/, 'named' );
    is( $api->exec('<cpanel print="$user">')->{cpanelresult}{data}{result}, 'ok', 'the connection is still usable' );
    $api->end;
    $fake->finish;
    is( scalar( () = $fake->requests ), 3, 'the bad requests never went out' );
};

# A reply with non-ASCII text in every JSON spelling: raw UTF-8, \u escapes
# (lower and upper case), a surrogate pair, a non-ASCII key, escapes that
# must stay escapes, and an escaped backslash in front of a \u escape.
my $reply_json = qq({"raw":"caf\xc3\xa9 \xe2\x98\xba","esc":"caf\\u00e9 \\u263A","astral":"\\ud83d\\ude00",)
  . qq("k\xc3\xa9y":"v","ctl":"a\\u0022b\\u005cc\\u0001","bs":"x\\\\\\u00e9","notesc":"\\\\u00e9","n":3,"f":2.5,"t":true,"z":null});
my %reply_chars = (
    raw    => "caf\x{e9} \x{263a}",
    esc    => "caf\x{e9} \x{263a}",
    astral => "\x{1f600}",
    "k\x{e9}y" => 'v',
    ctl    => qq(a"b\\c\x01),
    bs     => "x\\\x{e9}",
    notesc => '\\u00e9',
    n      => 3,
    f      => 2.5,
    t      => JSON::PP::true,
    z      => undef,
);
my %reply_bytes = (
    raw    => "caf\xc3\xa9 \xe2\x98\xba",
    esc    => "caf\xc3\xa9 \xe2\x98\xba",
    astral => "\xf0\x9f\x98\x80",
    "k\xc3\xa9y" => 'v',
    ctl    => qq(a"b\\c\x01),
    bs     => "x\\\xc3\xa9",
    notesc => '\\u00e9',
    n      => 3,
    f      => 2.5,
    t      => JSON::PP::true,
    z      => undef,
);

subtest 'replies: UTF-8 byte strings by default, characters with utf8_strings' => sub {
    for my $utf8_strings ( 0, 1 ) {
        my $fake = LiveAPITest::FakeServer->start(
            replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, frame(qq({"apiversion":3,"result":{"data":$reply_json,"status":1}})), frame($reply_json) ]
        );
        my $api = Cpanel::LiveAPI->new( { socket => $fake->socket, utf8_strings => $utf8_strings } );
        my $label    = $utf8_strings ? 'utf8_strings' : 'default';
        my $expected = $utf8_strings ? \%reply_chars : \%reply_bytes;
        my $data = $api->uapi( 'Test', 'echo', {} )->{cpanelresult}{result}{data};
        same_json( $data, $expected, "$label: every spelling decodes to the expected strings; numbers stay numbers" );
        if ($utf8_strings) {
            ok( utf8::is_utf8( $data->{raw} ), "$label: character strings" );
            is( length $data->{astral}, 1, "$label: U+1F600 is one character" );
        }
        else {
            ok( !( grep { utf8::is_utf8($_) } grep { defined && !ref } values %$data ), "$label: no string has the UTF8 flag" );
            ok( !( grep { utf8::is_utf8($_) } keys %$data ), "$label: no key has it" );
            is( length $data->{astral}, 4, "$label: U+1F600 is its four UTF-8 bytes" );
        }
        is( $data->{n} + 1, 4, "$label: numbers are numbers" );
        same_json( $api->exec('<cpanel print="x">')->{cpanelresult}, $expected, "$label: the same through exec" );
        $api->end;
        $fake->finish;
    }
};

if ( my $why = LiveAPITest::ReferenceServer->unavailable_reason ) {
    diag "skipping the round trips: $why";
    done_testing();
    exit;
}

# Every string of a character structure as UTF-8 bytes.
sub as_bytes {
    my ($data) = @_;
    return JSON::PP->new->latin1->decode( JSON::PP->new->utf8->encode($data) );
}

my %args = (
    latin1 => "caf\x{e9}",                                    # U+00E9 (no flag: it goes out as the byte 0xE9)
    bmp    => "\x{263a} \x{20ac} \x{65e5}\x{672c}\x{8a9e}",   # above U+00FF
    astral => "\x{1f600}",                                    # outside the BMP (a surrogate pair in \u escapes)
    mixed  => "Gr\x{fc}\x{df}e, \x{263a} & </cpanelresult>",
    "cl\x{e9}\x{263a}" => 'non-ASCII key',
    n      => 5,
);
# What the reference server reads: UTF-8 for the flagged strings; the lone
# Latin-1 byte string is converted because the request also holds UTF-8.
my %as_read = %args;

for my $flags ( [], ['--ascii'], ['--pretty'] ) {
    my $label = @$flags ? "@$flags" : 'raw UTF-8 replies';
    subtest "round trip through the reference server's echo ($label)" => sub {
        my $server = LiveAPITest::ReferenceServer->start(@$flags);

        my $api  = Cpanel::LiveAPI->new( { socket => $server->socket } );
        my $data = $api->uapi( 'Test', 'echo', \%args )->{cpanelresult}{result}{data};
        same_json( $data->{args}, as_bytes( \%as_read ), 'all arguments come back, as UTF-8 bytes' );
        is( $api->uapi( 'Test', 'echo', { p => $password_bytes } )->{cpanelresult}{result}{data}{args}{p}, $password_bytes,
            'a UTF-8 byte string comes back as the same bytes' );
        is( $api->uapi( 'Test', 'echo', { p => $password_chars } )->{cpanelresult}{result}{data}{args}{p}, $password_bytes,
            'the decoded password comes back as its UTF-8 bytes' );
        is( $api->uapi( 'Test', 'echo', { p => "caf\xe9" } )->{cpanelresult}{result}{data}{args}{p}, "caf\xc3\xa9",
            'a Latin-1 byte string is read as Latin-1 by the server' );
        is( $api->cpanelprint("\x{263a}"), "\xe2\x98\xba", 'API1 print of a bare non-ASCII string' );
        is( $api->fetch("\xc3\xa9t\xc3\xa9")->{cpanelresult}{data}{result}, "\xc3\xa9t\xc3\xa9", 'fetch with a non-ASCII tag' );
        my $rows = $api->api2( 'Email', 'listpopswithdisk', { domain => "b\xc3\xbccher.example" } )->{cpanelresult}{data};
        is( $rows->[0]{domain}, "b\xc3\xbccher.example", 'api2 argument round trip' );
        $api->end;

        my $chars = Cpanel::LiveAPI->new( { socket => $server->socket, utf8_strings => 1 } );
        $data = $chars->uapi( 'Test', 'echo', \%args )->{cpanelresult}{result}{data};
        same_json( $data->{args}, \%as_read, 'utf8_strings: all arguments come back as characters' );
        is( length $data->{args}{astral}, 1, 'utf8_strings: U+1F600 is one character' );
        is( $chars->uapi( 'Test', 'echo', { p => $password_bytes } )->{cpanelresult}{result}{data}{args}{p}, $password_chars,
            'utf8_strings: a UTF-8 byte string comes back decoded' );
        is( $chars->cpanelprint("\x{263a}"), "\x{263a}", 'utf8_strings: API1 print' );
        $chars->end;
    };
}

done_testing();
