use strict;
use warnings;
use utf8;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use Encode ();
use Cpanel::LiveAPI ();
use LiveAPITest::FakeServer ();
use LiveAPITest::ReferenceServer ();
use LiveAPITest::Util qw(frame parse_request same_json);

# Arguments are character strings and go out as UTF-8, whatever the code
# point; the length prefix counts bytes; results come back as characters.
# (The official module sent U+0080..U+00FF as Latin-1 and died above U+00FF.)

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my %args = (
    latin1 => "caf\x{e9}",                       # U+00E9: Latin-1 range
    bmp    => "\x{263a} \x{20ac} 日本語",          # above U+00FF
    astral => "\x{1f600}",                       # outside the BMP (surrogate pair in \u escapes)
    mixed  => "Grüße, \x{263a} & </cpanelresult>",
    'clé'  => 'non-ASCII key',
);

subtest 'bytes on the wire' => sub {
    my $fake = LiveAPITest::FakeServer->start(
        replies => [
            LiveAPITest::FakeServer::SWITCH_REPLY,
            frame('{"data":{"result":"ok"}}'),
            frame('{"data":{"result":"ok"}}'),
            frame('{"data":{"result":"ok"}}'),
        ]
    );
    my $api = Cpanel::LiveAPI->new( { socket => $fake->socket } );
    $api->uapi( 'Test', 'echo', { s => "caf\x{e9}\x{263a}" } );

    # The same text as a byte-semantics (non-UTF8-flagged) Perl string and as
    # an upgraded one must give the same bytes: Perl strings are characters.
    my $downgraded = "caf\x{e9}";
    my $upgraded   = "caf\x{e9}";
    utf8::upgrade($upgraded);
    $api->uapi( 'Test', 'echo', { s => $downgraded } );
    $api->uapi( 'Test', 'echo', { s => $upgraded } );
    $api->end;
    $fake->finish;

    my ( undef, $first, $down, $up ) = $fake->requests;
    my ( $declared, $payload ) = parse_request($first);
    is( $declared, length $payload, 'length prefix counts bytes' );
    like( $payload, qr/"s":"caf\xc3\xa9\xe2\x98\xba"/, 'U+00E9 and U+263A sent as UTF-8 bytes' );
    unlike( $payload, qr/caf\xe9/, 'no Latin-1 byte' );
    ok( !utf8::is_utf8($payload), 'the payload is a byte string' );
    is( $down, $up, 'flagged and unflagged strings with the same characters send the same bytes' );
    like( $down, qr/"s":"caf\xc3\xa9"/, 'unflagged U+00E9 is UTF-8 too' );
};

subtest 'unencodable code points die before anything is sent' => sub {
    my $fake = LiveAPITest::FakeServer->start( replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, frame('{"data":{"result":"ok"}}') ] );
    my $api  = Cpanel::LiveAPI->new( { socket => $fake->socket } );
    no warnings 'surrogate';
    ok( !eval { $api->uapi( 'Test', 'echo', { s => "bad \x{d800} surrogate" } ); 1 }, 'a lone surrogate dies' );
    like( $@, qr/code point U\+D800, which cannot be sent as UTF-8/, 'clear message' );
    is( $api->exec('<cpanel print="$user">')->{cpanelresult}{data}{result}, 'ok', 'the connection is still usable' );
    $api->end;
    $fake->finish;
    is( scalar( () = $fake->requests ), 3, 'the bad request never went out' );
};

if ( my $why = LiveAPITest::ReferenceServer->unavailable_reason ) {
    diag "skipping the round trips: $why";
    done_testing();
    exit;
}

for my $flags ( [], ['--ascii'], ['--pretty'] ) {
    my $label = @$flags ? "@$flags" : 'raw UTF-8 replies';
    subtest "round trip through the reference server's echo ($label)" => sub {
        my $server = LiveAPITest::ReferenceServer->start(@$flags);
        my $api    = Cpanel::LiveAPI->new( { socket => $server->socket } );
        my $data   = $api->uapi( 'Test', 'echo', \%args )->{cpanelresult}{result}{data};
        same_json( $data->{args}, \%args, 'all arguments come back unchanged' );
        is( length $data->{args}{astral}, 1,  'U+1F600 is one character' );
        is( length $data->{args}{latin1}, 4,  'caf\x{e9} is four characters' );
        is( $api->cpanelprint("\x{263a}"), "\x{263a}", 'API1 print of a bare non-ASCII string' );
        is( $api->fetch("\x{e9}t\x{e9}")->{cpanelresult}{data}{result}, "\x{e9}t\x{e9}", 'fetch with a non-ASCII tag' );
        my $rows = $api->api2( 'Email', 'listpopswithdisk', { domain => "bücher.example" } )->{cpanelresult}{data};
        is( $rows->[0]{domain}, "bücher.example", 'api2 argument round trip' );
        $api->end;
    };
}

done_testing();
