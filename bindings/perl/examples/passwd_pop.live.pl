#!/usr/bin/perl
# Changes the password of the mailbox user@example.com through the LiveAPI
# socket and prints the whole reply as JSON.
#
# cPanel (or liveapid) runs *.live.pl scripts with CPANEL_CONNECT_SOCKET set.
# By hand, against a running liveapid:
#
#   CPANEL_CONNECT_SOCKET=/path/to/live.sock perl -Ilib examples/passwd_pop.live.pl

use strict;
use warnings;

use JSON::PP ();
use Cpanel::LiveAPI ();

# The new password: the first argument, else the seed's '12345luggage' (it
# rates 63: `liveapid demo` accepts it, a server with cPanel's default minimum
# strength of 65 refuses it as too weak, so give a stronger one there). One
# given on the command line is visible to other users in `ps`; use that only
# on a test machine. It is passed on as it is: bytes (UTF-8 from a UTF-8
# terminal) are sent unchanged.
my $password = @ARGV ? $ARGV[0] : '12345luggage';

my $cpliveapi = Cpanel::LiveAPI->new();

my $result = $cpliveapi->uapi(
    'Email', 'passwd_pop',
    {
        email    => 'user',
        password => $password,
        domain   => 'example.com',
    }
);

# Run as a CGI page by cpsrvd, the output needs a header.
print "Content-Type: application/json; charset=utf-8\r\n\r\n" if $ENV{GATEWAY_INTERFACE};

# Results are UTF-8 byte strings, as cPanel gives them to scripts; latin1
# makes JSON::PP write those bytes out as they are (utf8 would encode them a
# second time).
print JSON::PP->new->pretty->canonical->latin1->encode($result);

$cpliveapi->end();

exit( $result->{cpanelresult}{result}{status} ? 0 : 1 );
