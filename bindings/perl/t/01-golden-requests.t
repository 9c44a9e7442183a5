use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Cpanel::LiveAPI ();
use LiveAPITest::FakeServer ();
use LiveAPITest::Paths qw(golden_vectors);
use LiveAPITest::Util qw(canonical_json parse_request);

# What the shim sends must be what the official Perl module sends (the
# "Perl" client vectors of tests/golden/vectors.json). Perl hash order is random, so the
# JSON requests are compared as declared length + decoded structure; the
# structure is compared through canonical JSON, so that the number 1 and the
# string "1" differ. Requests without JSON are compared byte for byte.

my $vectors = golden_vectors();
my @server_replies = map { $vectors->{$_}{bytes} } qw(1-server-1 3-server-1 5-server-1 7-server-1 7-server-2 8-server-1 8-server-2 9-server-1 6-server-1);

my $fake = LiveAPITest::FakeServer->start( replies => \@server_replies );
my $api  = Cpanel::LiveAPI->new( { socket => $fake->socket } );

my $uapi = $api->uapi( 'Email', 'passwd_pop', { email => 'user', password => 'n3w/Pass&word', domain => 'example.com' } );
is( $uapi->{cpanelresult}{result}{status}, 1, 'uapi reply decoded' );
$api->api2( 'Email', 'listpopswithdisk', { domain => 'example.com' } );
$api->api1( 'print', '', ['cow'] );
is( $api->cpanelprint('$homedir'),     '/home/dave', 'cpanelprint returns the value' );
is( $api->cpanelif('!$haspostgres'),   1,            'cpanelif returns data.result' );
is( $api->cpanelfeature('fileman'),    1,            'cpanelfeature returns data.result' );
$api->api3( 'Email', 'list_pops' );
is( $api->fetch('$homedir')->{cpanelresult}{data}{result}, '/home/dave', 'fetch reply decoded' );
ok( $api->end, 'end' );
is( $fake->finish, 0, 'fake server saw a clean session' );

my @requests = $fake->requests;
is( scalar @requests, 10, 'switch + 8 calls + shutdown were sent' );

is( $requests[0], $vectors->{'1-client-1'}{bytes}, '1-client-1: JSON switch, exact bytes' );

my @json_requests = (
    [ '3-client-1', 'uapi passwd_pop (apiversion "uapi", "/" not escaped)' ],
    [ '5-client-2', 'api2 listpopswithdisk (apiversion number 2)' ],
    [ '7-client-2', 'api1 print with a list (apiversion number 1)' ],
    [ '7-client-4', 'cpanelprint: args as a bare string' ],
    # The official Perl module builds if/feature requests exactly like PHP
    # (apiversion the string "1", bare string args), so the PHP vectors
    # give the expected structure and length.
    [ '8-client-1', 'cpanelif' ],
    [ '8-client-2', 'cpanelfeature' ],
    [ '9-client-2', 'api3 without args: no args key, apiversion number 3' ],
);
for my $i ( 0 .. $#json_requests ) {
    my ( $id, $what ) = @{ $json_requests[$i] };
    same_request( $requests[ $i + 1 ], $vectors->{$id}{bytes}, "$id: $what" );
}

is( $requests[8], $vectors->{'6-client-1'}{bytes}, '6-client-1: fetch sends the print tag verbatim' );
is( $requests[9], $vectors->{'4-client-1'}{bytes}, '4-client-1: shutdown, exact bytes' );

# Every request's length prefix counts the payload's bytes.
for my $raw (@requests) {
    my ( $declared, $payload ) = parse_request($raw);
    is( $declared, length $payload, "length prefix $declared matches the payload" );
}

sub same_request {
    my ( $got_raw, $expected_raw, $name ) = @_;
    subtest $name => sub {
        my ( $got_length,      $got_payload )      = parse_request($got_raw);
        my ( $expected_length, $expected_payload ) = parse_request($expected_raw);
        ok( defined $got_length, 'framed as <length>\n<payload>' ) or return;
        is( $got_length, $expected_length, 'same length prefix' );
        is( length $got_payload, $got_length, 'prefix equals payload bytes' );

        my $shape = qr{\A<cpanelaction>\n(.*)\n</cpanelaction>\z}s;
        my ($got_json)      = $got_payload =~ $shape;
        my ($expected_json) = $expected_payload =~ $shape;
        ok( defined $got_json, '<cpanelaction> LF json LF </cpanelaction>' ) or return;
        my $decoder = JSON::PP->new->utf8;
        is( canonical_json( $decoder->decode($got_json) ), canonical_json( $decoder->decode($expected_json) ), 'same JSON structure and types' );
    };
}

done_testing();
