use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use Cpanel::LiveAPI ();
use Cpanel::LiveAPI::Result ();
use Cpanel::LiveAPI::Template ();
use LiveAPITest::FakeServer ();
use LiveAPITest::ReferenceServer ();
use LiveAPITest::Util qw(frame);

# Template Toolkit: execute(Module, function, {args}) returns the UAPI
# result object; templates read r.status, r.errors, r.data, r.messages,
# r.warnings and r.metadata (EMAIL.md section 6).

subtest 'array arguments expand to key-N (as cPanel does)' => sub {
    is_deeply(
        Cpanel::LiveAPI::Template::expand_array_args( { list => [qw(a b c)], empty => [], plain => 'x', hash => { k => 1 } } ),
        { 'list-0' => 'a', 'list-1' => 'b', 'list-2' => 'c', plain => 'x', hash => { k => 1 } },
        'lists expanded, empty lists dropped, the rest unchanged'
    );
    is_deeply( Cpanel::LiveAPI::Template::expand_array_args(undef), {}, 'no arguments' );
};

subtest 'Result from a reply that is not a UAPI envelope' => sub {
    my $reply = { cpanelresult => { apiversion => '1', error => 'No Valid Command Given.',
        data => { reason => 'No Valid Command Given.', result => '0' }, type => 'text' } };
    my $result = Cpanel::LiveAPI::Result->from_reply( 'Email', 'passwd_pop', $reply );
    is( $result->status, 0, 'failed' );
    is_deeply( $result->errors, ['No Valid Command Given.'], 'with the engine\'s message' );
    is( $result->errors_as_string, 'No Valid Command Given.', 'errors_as_string' );
};

subtest 'execute_or_die hides byte and character passwords in echoed errors' => sub {
    my $bytes = "p\xc3\xa4ss-\xe2\x82\xac-Word";     # UTF-8 bytes
    my $chars = "p\x{e4}ss-\x{20ac}-Word";            # the same password as characters
    my $error = sub {    # a UAPI failure whose message echoes the password, as UTF-8 in the JSON text
        my ($json_text) = @_;
        return frame(qq({"apiversion":3,"func":"passwd_pop","module":"Email","result":{"data":null,"errors":["bad: $json_text \xe2\x80\x9cx\xe2\x80\x9d"],"status":0}}));
    };
    my $fake = LiveAPITest::FakeServer->start(
        replies => [ LiveAPITest::FakeServer::SWITCH_REPLY, $error->("p\xc3\xa4ss-\xe2\x82\xac-Word"), $error->('p\u00e4ss-\u20AC-Word') ] );
    my $executor = Cpanel::LiveAPI::Template->new( Cpanel::LiveAPI->new( { socket => $fake->socket } ) );
    ok( !eval { $executor->execute_or_die( 'Email', 'passwd_pop', { password => $bytes, note => "n\x{f6}te" } ); 1 }, 'byte password: dies' );
    is( $@, "Email::passwd_pop(note=n\xc3\xb6te, password=********) failed: bad: ******** \xe2\x80\x9cx\xe2\x80\x9d\n",
        'raw UTF-8 echo hidden; the message is UTF-8 bytes throughout' );
    ok( !eval { $executor->execute_or_die( 'Email', 'passwd_pop', { password => $chars } ); 1 }, 'character password: dies' );
    is( $@, "Email::passwd_pop(password=********) failed: bad: ******** \xe2\x80\x9cx\xe2\x80\x9d\n", '\\u-escaped echo hidden' );
    $executor->connection->end;
    $fake->finish;
};

if ( my $why = LiveAPITest::ReferenceServer->unavailable_reason ) {
    diag "skipping the template runs: $why";
    done_testing();
    exit;
}
if ( !eval { require Template; 1 } ) {
    diag 'skipping the template runs: Template Toolkit is not installed';
    done_testing();
    exit;
}

my $server = LiveAPITest::ReferenceServer->start();
delete local $ENV{CPANEL_PHPCONNECT_SOCKET};
local $ENV{CPANEL_CONNECT_SOCKET} = $server->socket;

my $password = 'Tt-Secret-9876';

sub render {
    my ( $template, $vars ) = @_;
    my $tt = Template->new( { STRICT => 0 } );
    my $out = '';
    my $ok  = $tt->process( \$template, $vars || {}, \$out );
    return ( $ok ? $out : undef, $ok ? undef : $tt->error );
}

my $page = <<'TT';
[% SET r = execute('Email', 'passwd_pop', {email => 'user', password => pw, domain => 'example.com'}) -%]
status=[% r.status %]
errors=[% r.errors.size || 0 %]
data=[% r.data.defined ? 'set' : 'none' %]
messages=[% r.messages.size || 0 %] warnings=[% r.warnings.size || 0 %] metadata=[% r.metadata.keys.size %]
[% SET f = execute('Fail', 'now', {}) -%]
fail.status=[% f.status %]
[% FOREACH e IN f.errors %]fail.error=[% e %]
[% END -%]
[% SET m = execute('Email', 'passwd_pop', {email => 'user', domain => 'example.com'}) -%]
missing=[% m.status %]:[% m.errors.join('|') %]
[% SET e = execute('Test', 'echo', {list => ['a', 'b'], empty => [], s => 'x & y'}) -%]
echo=[% e.data.args.item('list-0') %],[% e.data.args.item('list-1') %] empty=[% e.data.args.exists('empty') ? 'sent' : 'dropped' %] s=[% e.data.args.s %]
keys=[% e.data.args.keys.sort.join(',') %]
TT

my $expected = <<"OUT";
status=1
errors=0
data=none
messages=0 warnings=0 metadata=0
fail.status=0
fail.error=Mock failure requested.
missing=0:You must specify the \xe2\x80\x9cpassword\xe2\x80\x9d parameter.
echo=a,b empty=dropped s=x & y
keys=list-0,list-1,s
OUT

subtest 'bare execute() from Cpanel::LiveAPI::Template->vars' => sub {
    my $api = Cpanel::LiveAPI->new;
    my ( $out, $error ) = render( $page, { %{ Cpanel::LiveAPI::Template->vars($api) }, pw => $password } );
    is( $error, undef, 'processed' );
    is( $out, $expected, 'status, errors, data, messages, warnings, metadata rendered' );
    ok( $api->end, 'the connection is still in step afterwards' );
};

subtest 'vars() without a connection connects on first use' => sub {
    my ( $out, $error ) = render( $page, { %{ Cpanel::LiveAPI::Template->vars }, pw => $password } );
    is( $out, $expected, 'same output' );
};

subtest 'USE LiveAPI = Cpanel.LiveAPI' => sub {
    ( my $plugin_page = $page ) =~ s/execute\(/LiveAPI.execute(/g;
    my ( $out, $error ) = render( "[% USE LiveAPI = Cpanel.LiveAPI %]\n$plugin_page", { pw => $password } );
    is( $error, undef, 'processed' );
    is( $out, "\n$expected", 'from the environment' );

    ( $out, $error ) = render( "[% USE LiveAPI = Cpanel.LiveAPI(socket => sock, timeout => 10) %]\n$plugin_page", { pw => $password, sock => $server->socket } );
    is( $out, "\n$expected", 'with socket and timeout parameters' );

    my $api = Cpanel::LiveAPI->new;
    ( $out, $error ) = render( "[% USE LiveAPI = Cpanel.LiveAPI(connection => api) %]\n$plugin_page", { pw => $password, api => $api } );
    is( $out, "\n$expected", 'with an existing connection' );
    is( $api->cpanelprint('$user'), 'dave', 'that connection stays usable' );
};

subtest 'utf8_strings: templates get character strings' => sub {
    ( my $chars_expected = $expected ) =~ s/\xe2\x80\x9c/\x{201c}/g;
    $chars_expected =~ s/\xe2\x80\x9d/\x{201d}/g;
    ( my $plugin_page = $page ) =~ s/execute\(/LiveAPI.execute(/g;
    my ( $out, $error ) = render( "[% USE LiveAPI = Cpanel.LiveAPI(utf8_strings => 1) %]\n$plugin_page", { pw => $password } );
    is( $error, undef, 'processed' );
    is( $out, "\n$chars_expected", 'the plugin passes utf8_strings on' );

    my $api = Cpanel::LiveAPI->new( { utf8_strings => 1 } );
    ( $out, $error ) = render( $page, { %{ Cpanel::LiveAPI::Template->vars($api) }, pw => $password } );
    is( $out, $chars_expected, 'vars() with a utf8_strings connection' );
};

subtest 'execute_or_die' => sub {
    my $vars = Cpanel::LiveAPI::Template->vars( Cpanel::LiveAPI->new );
    my ( $out, $error ) = render( q{[% SET r = execute_or_die('Email', 'passwd_pop', {email => 'user', password => pw, domain => 'example.com'}) %]ok=[% r.status %]},
        { %$vars, pw => $password } );
    is( $out, 'ok=1', 'success returns the result' );

    ( $out, $error ) = render( q{[% SET r = execute_or_die('Fail', 'now', {user => 'bob', password => pw, tags => ['x', 'y']}) %]not reached},
        { %$vars, pw => $password } );
    is( $out, undef, 'failure stops the template' );
    like( "$error", qr/Fail::now\(password=\*{8}, tags-0=x, tags-1=y, user=bob\) failed: Mock failure requested\.\n/, 'cPanel-style message' );
    unlike( "$error", qr/\Q$password\E/, 'without the password' );

    my $executor = Cpanel::LiveAPI::Template->new( Cpanel::LiveAPI->new );
    ok( !eval { $executor->execute_or_die( 'Fail', 'now', { new_password => $password, email => 'user' } ); 1 }, 'dies in Perl too' );
    is( $@, "Fail::now(email=user, new_password=********) failed: Mock failure requested.\n", 'exact message' );
};

subtest 'connection errors make process() fail' => sub {
    local $ENV{CPANEL_CONNECT_SOCKET} = $server->dir . '/gone.sock';
    my ( $out, $error ) = render( q{[% USE LiveAPI = Cpanel.LiveAPI %][% SET r = LiveAPI.execute('Email', 'list_pops', {}) %]x} );
    is( $out, undef, 'not rendered' );
    like( "$error", qr/gone\.sock does not exist/, 'the connection error is the template error' );
};

done_testing();
