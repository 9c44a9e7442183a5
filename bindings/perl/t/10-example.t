use strict;
use warnings;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/lib";

use File::Spec ();
use JSON::PP ();
use LiveAPITest::Paths qw(dist_root);
use LiveAPITest::ReferenceServer ();

# examples/passwd_pop.live.pl runs as a live script and prints the reply.

if ( my $why = LiveAPITest::ReferenceServer->unavailable_reason ) {
    plan skip_all => $why;
}

my $server  = LiveAPITest::ReferenceServer->start();
my $script  = File::Spec->catfile( dist_root(), 'examples', 'passwd_pop.live.pl' );
my $lib     = File::Spec->catdir( dist_root(), 'lib' );

delete local $ENV{CPANEL_PHPCONNECT_SOCKET};
delete local $ENV{GATEWAY_INTERFACE};
local $ENV{CPANEL_CONNECT_SOCKET} = $server->socket;

my $output = `$^X -I$lib $script`;
is( $? >> 8, 0, 'exit status 0 on success' );
my $reply = eval { JSON::PP->new->utf8->decode($output) };
ok( $reply, 'prints JSON' ) or diag $output;
is( $reply->{cpanelresult}{result}{status}, 1, 'status 1' );
is( $reply->{cpanelresult}{func}, 'passwd_pop', 'the passwd_pop reply' );
like( $output, qr/\n   "cpanelresult" : \{/, 'pretty-printed' );

local $ENV{GATEWAY_INTERFACE} = 'CGI/1.1';
my $cgi = `$^X -I$lib $script`;
like( $cgi, qr/\AContent-Type: application\/json; charset=utf-8\r\n\r\n\{/, 'CGI header when run by a web server' );

local $ENV{CPANEL_CONNECT_SOCKET} = $server->dir . '/none.sock';
my $failed = `$^X -I$lib $script 2>&1`;
isnt( $? >> 8, 0, 'non-zero exit without an engine' );
like( $failed, qr/Cpanel::LiveAPI: socket .*none\.sock does not exist/, 'with the error on stderr' );

done_testing();
