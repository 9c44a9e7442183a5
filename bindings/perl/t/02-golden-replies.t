use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Time::HiRes ();
use Cpanel::LiveAPI ();
use LiveAPITest::FakeServer ();
use LiveAPITest::Paths qw(golden_vectors);
use LiveAPITest::Util qw(same_json);

# Every server frame of tests/golden/vectors.json (section 11 is a split write sequence,
# tested on its own below) must decode to the structure the official client
# returns: always one top-level "cpanelresult", wrapped by the client unless
# the server wrapped it already, strings as UTF-8 byte strings (with the
# utf8_strings option: as characters).

my $vectors = golden_vectors();

my $uapi_ok = sub {
    my ( $module, $func, $data ) = @_;
    return { cpanelresult => { apiversion => 3, func => $func, module => $module,
        result => { data => $data, errors => undef, messages => undef, metadata => {}, status => 1, warnings => undef } } };
};
my $print_reply = sub {
    my ($value) = @_;
    return { cpanelresult => { apiversion => '1', type => 'internal', command => 'print', source => 'internal',
        data => { result => $value }, event => { result => 1 } } };
};
my $text_error = sub {
    my ($message) = @_;
    return { cpanelresult => { apiversion => '1', error => $message, data => { reason => $message, result => '0' }, type => 'text' } };
};

my %expected = (
    '1-server-1'  => { cpanelresult => { data => { result => 'json' } } },
    '2-server-1'  => $uapi_ok->( 'Email', 'passwd_pop', undef ),
    '3-server-1'  => $uapi_ok->( 'Email', 'passwd_pop', undef ),
    '3b-server-1' => $uapi_ok->( 'Email', 'passwd_pop', undef ),
    '4-server-1'  => { cpanelresult => { data => { result => 'shutdown' } } },
    '5-server-1'  => { cpanelresult => { apiversion => 2, func => 'listpopswithdisk', module => 'Email',
        data => [ { domain => 'example.com' } ], event => { result => 1 } } },
    '5-server-2' => { cpanelresult => { apiversion => 2, func => 'listpopswithdisk', module => 'Email',
        data => [ { email => 'user@example.com', login => 'user@example.com', domain => 'example.com', user => 'user',
            diskquota => '250', diskused => 0, diskusedpercent => 0, humandiskquota => "250\xc2\xa0MB",    # U+00A0 as UTF-8 bytes
            humandiskused => 'None', txtdiskquota => 250 } ],
        event => { result => 1 } } },
    '6-server-1'  => $print_reply->('/home/dave'),
    '7-server-1'  => $print_reply->('cow'),
    '7-server-2'  => $print_reply->('/home/dave'),
    '8-server-1'  => { cpanelresult => { data => { result => 1 }, module => 'if',      apiversion => 1 } },
    '8-server-2'  => { cpanelresult => { data => { result => 1 }, module => 'feature', apiversion => 1 } },
    '9-server-1'  => $uapi_ok->( 'Email', 'list_pops', { module => 'Email', func => 'list_pops', args => {} } ),
    '10-server-1' => $text_error->('Could not parse cpanelaction JSON.'),
    '10-server-2' => $text_error->('No Valid Command Given.'),
    '10-server-3' => { cpanelresult => { apiversion => 3, func => 'passwd_pop', module => 'Email',
        result => { data => undef, errors => ['The account user@example.com does not exist.'], messages => undef,
            metadata => {}, status => 0, warnings => undef } } },
    '10-server-4' => { cpanelresult => { apiversion => 2, func => 'listpopswithdisk', module => 'Email', data => [],
        event => { result => 0, reason => 'Permission denied.' }, error => 'Permission denied.' } },
    '10-server-5' => $uapi_ok->( 'Test', 'echo',
        { module => 'Test', func => 'echo', args => { s => 'a </cpanelresult> b & <x>', p => 'c/d' } } ),
);

my @server_ids = sort { _order($a) <=> _order($b) or $a cmp $b }
  grep { $vectors->{$_}{direction} eq 'server' && !/\A11-/ } keys %$vectors;
is_deeply( [ sort @server_ids ], [ sort keys %expected ], 'every golden server frame has an expected structure here' );

# One session per delivery style: each frame in one write (as servers
# must send it), and the same frames dribbled in 7-byte pieces.
for my $style ( [ 'one write per frame', {} ], [ '7-byte pieces', { chunk_size => 7, chunk_delay => 0.001 } ] ) {
    my ( $label, $options ) = @$style;
    subtest "all server frames in one session, $label" => sub {
        my $fake = LiveAPITest::FakeServer->start(
            %$options,
            replies => [ $vectors->{'1-server-1'}{bytes}, map { $vectors->{$_}{bytes} } @server_ids ],
        );
        my $api = Cpanel::LiveAPI->new( { socket => $fake->socket, timeout => 10 } );
        for my $id (@server_ids) {
            my $got = $api->exec('<cpanel print="$homedir">');
            same_json( $got, $expected{$id}, "$id decodes to the expected structure" );
        }
        is( $api->{_rbuf}, '', 'nothing left over after the last frame' );
        $api->end;
        is( $fake->finish, 0, 'fake server finished' );
    };
}

subtest 'the same frames with utf8_strings: character strings' => sub {
    my $fake = LiveAPITest::FakeServer->start(
        replies => [ $vectors->{'1-server-1'}{bytes}, map { $vectors->{$_}{bytes} } @server_ids ],
    );
    my $api = Cpanel::LiveAPI->new( { socket => $fake->socket, timeout => 10, utf8_strings => 1 } );
    ok( $api->utf8_strings, 'utf8_strings is on' );
    for my $id (@server_ids) {
        my $got      = $api->exec('<cpanel print="$homedir">');
        my $expected = $expected{$id};
        if ( $id eq '5-server-2' ) {
            $expected = JSON::PP->new->decode( JSON::PP->new->encode($expected) );    # a deep copy
            $expected->{cpanelresult}{data}[0]{humandiskquota} = "250\x{a0}MB";
            is( $got->{cpanelresult}{data}[0]{humandiskquota}, "250\x{a0}MB", '5-server-2: U+00A0 is one character' );
        }
        same_json( $got, $expected, "$id decodes to the expected structure" );
    }
    $api->end;
    is( $fake->finish, 0, 'fake server finished' );
};

subtest 'end() reads the optional shutdown reply (4-server-1) and the close' => sub {
    my $fake = LiveAPITest::FakeServer->start(
        replies        => [ $vectors->{'1-server-1'}{bytes} ],
        shutdown_reply => $vectors->{'4-server-1'}{bytes},
    );
    my $api     = Cpanel::LiveAPI->new( { socket => $fake->socket } );
    my $started = Time::HiRes::time();
    ok( $api->end, 'end returns true' );
    cmp_ok( Time::HiRes::time() - $started, '<', 2, 'end returned promptly' );
    is( $fake->finish, 0, 'fake server finished' );
};

subtest 'section 11: keep-alive newlines before a slow reply' => sub {
    my @pieces = (
        [ $vectors->{'11-server-1'}{bytes}, 0 ],
        [ $vectors->{'11-server-2'}{bytes}, 0.4 ],
        [ $vectors->{'11-server-2'}{bytes}, 0.4 ],
        [ $vectors->{'11-server-3'}{bytes}, 0.4 ],
    );
    my $fake = LiveAPITest::FakeServer->start( replies => [ $vectors->{'1-server-1'}{bytes}, \@pieces ] );

    # The inactivity timeout (1 s) is shorter than the whole reply (1.2 s);
    # the keep-alive lines keep the call alive.
    my $api     = Cpanel::LiveAPI->new( { socket => $fake->socket, timeout => 1 } );
    my $started = Time::HiRes::time();
    my $got     = $api->uapi( 'Slow', 'sleep', { seconds => 4 } );
    cmp_ok( Time::HiRes::time() - $started, '>=', 1.1, 'the reply took as long as its pieces' );
    same_json( $got, $uapi_ok->( 'Slow', 'sleep', { module => 'Slow', func => 'sleep', args => { seconds => 4 } } ),
        'decoded after the keep-alive lines' );
    $api->end;
    is( $fake->finish, 0, 'fake server finished' );
};

sub _order {
    my ($id) = @_;
    my ( $section, $sub, $n ) = $id =~ /\A([0-9]+)([a-z]?)-\w+-([0-9]+)\z/ or return 1e9;
    return $section * 1000 + ( $sub ? 500 : 0 ) + $n;
}

done_testing();
