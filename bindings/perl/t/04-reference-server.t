use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use Time::HiRes ();
use Cpanel::LiveAPI ();
use LiveAPITest::ReferenceServer ();
use LiveAPITest::Util qw(same_json);

# Every reply form of the reference server (tests/support/reference-server),
# with its default settings, through the public methods.

if ( my $why = LiveAPITest::ReferenceServer->unavailable_reason ) {
    plan skip_all => $why;
}

my $server = LiveAPITest::ReferenceServer->start();
delete local $ENV{CPANEL_PHPCONNECT_SOCKET};
local $ENV{CPANEL_CONNECT_SOCKET} = $server->socket;

my $api = Cpanel::LiveAPI->new();
isa_ok( $api, 'Cpanel::LiveAPI', 'connected through CPANEL_CONNECT_SOCKET' );

subtest 'uapi success' => sub {
    my $reply = $api->uapi( 'Email', 'passwd_pop', { email => 'user', password => 'n3w/Pass&word', domain => 'example.com' } );
    same_json(
        $reply,
        { cpanelresult => { apiversion => 3, func => 'passwd_pop', module => 'Email',
            result => { data => undef, errors => undef, messages => undef, metadata => {}, status => 1, warnings => undef } } },
        'UAPI envelope wrapped once in cpanelresult'
    );
};

subtest 'uapi failure' => sub {
    my $result = $api->uapi( 'Fail', 'now', {} )->{cpanelresult}{result};
    is( $result->{status}, 0, 'status 0' );
    is_deeply( $result->{errors}, ['Mock failure requested.'], 'errors' );

    my $missing = $api->uapi( 'Email', 'passwd_pop', { email => 'user', domain => 'example.com' } )->{cpanelresult}{result};
    is( $missing->{status}, 0, 'missing parameter: status 0' );
    is_deeply( $missing->{errors}, ["You must specify the \xe2\x80\x9cpassword\xe2\x80\x9d parameter."],
        'error text as UTF-8 bytes, as cPanel gives it to scripts' );
    ok( !utf8::is_utf8( $missing->{errors}[0] ), 'a byte string' );

    my $chars = Cpanel::LiveAPI->new( { utf8_strings => 1 } );
    my $decoded = $chars->uapi( 'Email', 'passwd_pop', { email => 'user', domain => 'example.com' } )->{cpanelresult}{result};
    is_deeply( $decoded->{errors}, ["You must specify the \x{201c}password\x{201d} parameter."], 'utf8_strings: decoded to characters' );
    ok( $chars->end, 'that connection ends' );
};

subtest 'api3 with a number apiversion, without args' => sub {
    my $reply = $api->api3( 'Email', 'list_pops' );
    same_json( $reply->{cpanelresult}{result}{data}, { module => 'Email', func => 'list_pops', args => {} }, 'no args arrived' );
    is( $reply->{cpanelresult}{result}{status}, 1, 'status 1' );
};

subtest 'api2 is not wrapped twice' => sub {
    my $reply = $api->api2( 'Email', 'listpopswithdisk', { domain => 'example.com' } );
    same_json(
        $reply,
        { cpanelresult => { apiversion => 2, func => 'listpopswithdisk', module => 'Email', data => [ { domain => 'example.com' } ], event => { result => 1 } } },
        'one cpanelresult level'
    );
};

subtest 'api1' => sub {
    is( $api->api1( 'print', '', ['cow'] )->{cpanelresult}{data}{result}, 'cow', 'print with a list' );
    my $reply = $api->api1( 'Branding', 'image', [ 'a', 'b' ] );
    is( $reply->{cpanelresult}{data}{result}, 'a,b', 'positional arguments in order' );
    is( $reply->{cpanelresult}{apiversion},   '1',   'API1 envelope' );
};

subtest 'fetch and cpanelprint' => sub {
    my $reply = $api->fetch('$homedir');
    is( $reply->{cpanelresult}{data}{result}, '/home/dave', 'fetch: <cpanel print> tag' );
    is( $reply->{cpanelresult}{command},      'print',      'fetch: API1 print envelope' );
    is( $api->cpanelprint('$homedir'), '/home/dave', 'cpanelprint $homedir' );
    is( $api->cpanelprint('$user'),    'dave',       'cpanelprint $user' );
};

subtest 'cpanelif' => sub {
    is( $api->cpanelif('!$haspostgres'),  1, 'true condition' );
    is( $api->cpanelif('$haspostgres'),   0, 'false condition' );
    is( $api->cpanelif('$hasvalidshell'), 1, 'another true condition' );
};

subtest 'cpanelfeature' => sub {
    is( $api->cpanelfeature('fileman'),        1, 'feature present' );
    is( $api->cpanelfeature('no-such-feature'), 0, 'feature absent' );
};

subtest 'Chrome::get_dom through header() and footer()' => sub {
    like( $api->header('My Page'), qr{<title>My Page</title>}, 'header with the page title' );
    is( $api->footer, '</div></body></html>', 'footer' );
    my $dom = $api->uapi( 'Chrome', 'get_dom', { page_title => 'X' } )->{cpanelresult}{result}{data};
    is_deeply( [ sort keys %$dom ], [qw(footer header)], 'get_dom data has header and footer' );
};

subtest 'arguments that look like protocol markup' => sub {
    my %args = (
        close  => 'a </cpanelresult> b',
        marker => '<cpanelresult>{"cpanelresult":1}',
        amp    => 'Tom & Jerry',
        slash  => 'n3w/Pass',
        action => '</cpanelaction>',
        n      => 5,
    );
    my $data = $api->uapi( 'Test', 'echo', \%args )->{cpanelresult}{result}{data};
    same_json( $data->{args}, \%args, 'echoed unchanged (and the number stays a number)' );
};

subtest 'several connections at once are independent' => sub {
    my $other = Cpanel::LiveAPI->new( { socket => $server->socket } );
    is( $other->cpanelprint('$user'), 'dave', 'second connection works' );
    is( $api->cpanelprint('$user'),   'dave', 'first connection still works' );
    ok( $other->end, 'second connection ended' );
    is( $api->cpanelif('!$haspostgres'), 1, 'first connection unaffected by the other end()' );
};

subtest 'end' => sub {
    my $started = Time::HiRes::time();
    ok( $api->end, 'end returns true' );
    cmp_ok( Time::HiRes::time() - $started, '<', 2, 'end returned promptly' );
    ok( $api->end, 'end is idempotent' );
    ok( !eval { $api->uapi( 'Email', 'list_pops', {} ); 1 }, 'a call after end dies' );
    like( $@, qr/\ACpanel::LiveAPI: The Live Socket has closed, unable to continue\. at /, 'with the official message' );
};

subtest 'socket selection' => sub {
    {
        delete local $ENV{CPANEL_CONNECT_SOCKET};
        local $ENV{CPANEL_PHPCONNECT_SOCKET} = $server->socket;
        my $fallback = Cpanel::LiveAPI->new;
        is( $fallback->cpanelprint('$user'), 'dave', 'falls back to CPANEL_PHPCONNECT_SOCKET' );
    }
    {
        local $ENV{CPANEL_CONNECT_SOCKET}    = $server->dir . '/missing.sock';
        local $ENV{CPANEL_PHPCONNECT_SOCKET} = $server->socket;
        ok( !eval { Cpanel::LiveAPI->new; 1 }, 'CPANEL_CONNECT_SOCKET wins over CPANEL_PHPCONNECT_SOCKET' );
        like( $@, qr/missing\.sock does not exist/, 'and it is the one reported' );
        my $explicit = Cpanel::LiveAPI->new( { socket => $server->socket } );
        is( $explicit->cpanelprint('$user'), 'dave', 'the socket option overrides the environment' );
    }
};

done_testing();
