package Template::Plugin::Cpanel::LiveAPI;

use strict;
use warnings;

our $VERSION = '0.3';

use parent 'Template::Plugin';

use Carp ();
use Scalar::Util ();
use Cpanel::LiveAPI ();
use Cpanel::LiveAPI::Template ();

sub new {
    my ( $class, $context, @params ) = @_;
    my %options = ( @params && ref $params[-1] eq 'HASH' ) ? %{ pop @params } : ();
    if (@params) {
        Carp::croak( __PACKAGE__ . ': only named parameters are accepted (connection, socket, timeout, utf8_strings)' );
    }

    my $connection = delete $options{connection};
    if ( defined $connection && !( Scalar::Util::blessed($connection) && $connection->isa('Cpanel::LiveAPI') ) ) {
        Carp::croak( __PACKAGE__ . ': connection must be a Cpanel::LiveAPI object' );
    }
    if ( !$connection && %options ) {
        $connection = Cpanel::LiveAPI->new( \%options );
    }
    elsif (%options) {
        Carp::croak( __PACKAGE__ . ': give either an existing connection or connection options, not both' );
    }

    return bless {
        _context  => $context,
        _executor => Cpanel::LiveAPI::Template->new($connection),
    }, $class;
}

sub execute {
    my ( $self, @call ) = @_;
    return $self->{_executor}->execute(@call);
}

sub execute_or_die {
    my ( $self, @call ) = @_;
    return $self->{_executor}->execute_or_die(@call);
}

sub connection {
    my ($self) = @_;
    return $self->{_executor}->connection;
}

1;

__END__

=encoding UTF-8

=head1 NAME

Template::Plugin::Cpanel::LiveAPI - UAPI calls from Template Toolkit templates over the LiveAPI socket

=head1 SYNOPSIS

 [% USE LiveAPI = Cpanel.LiveAPI %]
 [% SET r = LiveAPI.execute('Email', 'passwd_pop',
        { email => 'user', password => new_password, domain => 'example.com' }) %]
 [% IF r.status %]Password changed.
 [% ELSE %][% FOREACH error IN r.errors %]Error: [% error %]
 [% END %][% END %]

 [%# a given socket, or a connection the caller put into the variables %]
 [% USE LiveAPI = Cpanel.LiveAPI(socket => '/path/to/socket', timeout => 30) %]
 [% USE LiveAPI = Cpanel.LiveAPI(utf8_strings => 1) %]   [%# character strings %]
 [% USE LiveAPI = Cpanel.LiveAPI(connection => cpliveapi) %]

=head1 DESCRIPTION

A Template Toolkit plugin around L<Cpanel::LiveAPI::Template>. C<execute>
returns a L<Cpanel::LiveAPI::Result> (C<r.status>, C<r.errors>, C<r.data>,
C<r.messages>, C<r.warnings>, C<r.metadata>), like cPanel's own template
function of the same name.

Without parameters the plugin connects, on its first call, to the socket named
by C<CPANEL_CONNECT_SOCKET> or C<CPANEL_PHPCONNECT_SOCKET>. The connection ends
when the plugin object goes away, i.e. after the template is processed.

To call a bare C<execute(...)> instead of C<LiveAPI.execute(...)>, pass
C<< Cpanel::LiveAPI::Template->vars($cpliveapi) >> to C<< Template->process >>.

Strings follow L<Cpanel::LiveAPI/ENCODING>. Results hold UTF-8 byte strings,
as templates in cPanel see them, which suits templates read and written
without an C<ENCODING>; with C<utf8_strings =E<gt> 1> they hold decoded
character strings, for templates processed as characters. Arguments are sent
as given: byte strings unchanged, character strings as UTF-8.

=head1 METHODS

=over

=item USE LiveAPI = Cpanel.LiveAPI( [connection => OBJ | socket => PATH, timeout => SECONDS, utf8_strings => 1] )

Creates the plugin. C<connection> reuses an existing L<Cpanel::LiveAPI> (and
its C<utf8_strings> setting); C<socket>, C<timeout> and C<utf8_strings> are
passed to C<< Cpanel::LiveAPI->new >>.

=item LiveAPI.execute( Module, function, {args} )

Runs a UAPI function; array arguments become C<key-0>, C<key-1>, ...

=item LiveAPI.execute_or_die( Module, function, {args} )

The same, but a failed call (status 0) stops the template with
C<< "Module::function(args) failed: errors" >>, passwords hidden.

=item LiveAPI.connection

The underlying L<Cpanel::LiveAPI> object.

=back

=cut
