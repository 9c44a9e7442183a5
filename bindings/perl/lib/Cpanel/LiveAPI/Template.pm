package Cpanel::LiveAPI::Template;

use strict;
use warnings;

our $VERSION = '0.3';

use Carp ();
use JSON::PP ();
use Scalar::Util ();
use Cpanel::LiveAPI ();
use Cpanel::LiveAPI::Result ();

our @CARP_NOT = ('Cpanel::LiveAPI');

# How execute_or_die shows the values of secret arguments (which arguments
# are secret is decided by Cpanel::LiveAPI, as for its debug log).
my $REDACTED = '********';

my $ARG_JSON = JSON::PP->new->canonical(1)->allow_nonref(1)->allow_blessed(1);

# The same for arguments that are all byte strings: keeps their bytes.
my $ARG_BYTES_JSON = JSON::PP->new->canonical(1)->allow_nonref(1)->allow_blessed(1)->latin1(1);

sub new {
    my ( $class, $connection ) = @_;
    if ( defined $connection && !( Scalar::Util::blessed($connection) && $connection->can('uapi') ) ) {
        Carp::croak( __PACKAGE__ . '->new: expected a Cpanel::LiveAPI object, got ' . ( ref $connection || $connection ) );
    }
    return bless { connection => $connection }, $class;
}

# The hash to merge into Template->process's variables.
sub vars {
    my ( $class, $connection ) = @_;
    my $executor = ref $class ? $class : $class->new($connection);
    return {
        execute        => sub { $executor->execute(@_) },
        execute_or_die => sub { $executor->execute_or_die(@_) },
    };
}

sub connection {
    my ($self) = @_;
    # Connect on first use, so a template that never calls the API needs no
    # socket.
    $self->{connection} ||= Cpanel::LiveAPI->new();
    return $self->{connection};
}

sub execute {
    my ( $self, $module, $func, $args ) = @_;
    if ( !defined $module || $module eq '' || !defined $func || $func eq '' ) {
        Carp::croak('execute() needs a module and a function name');
    }
    if ( defined $args && ref $args ne 'HASH' ) {
        Carp::croak("execute('$module', '$func', ...): the arguments must be a hash");
    }
    my $reply = $self->connection->uapi( $module, $func, expand_array_args($args) );
    return Cpanel::LiveAPI::Result->from_reply( $module, $func, $reply );
}

sub execute_or_die {
    my ( $self, $module, $func, $args ) = @_;
    $args = {} if !defined $args;
    my $result = $self->execute( $module, $func, $args );
    return $result if $result->status;

    my $expanded = expand_array_args($args);
    my @secrets  = grep { defined && !ref && length } map { $expanded->{$_} } grep { Cpanel::LiveAPI::_is_secret_key($_) } keys %$expanded;
    my $errors   = Cpanel::LiveAPI::_scrub( $result->errors_as_string, @secrets );

    # With byte-string results (the default), the message is made of bytes
    # throughout: character-string arguments are shown as their UTF-8 bytes,
    # so that nothing is encoded twice.
    my $connection = $self->connection;
    if ( !( $connection->can('utf8_strings') && $connection->utf8_strings ) ) {
        my $wire = eval { Cpanel::LiveAPI::_wire_data( [ $module, $func, $expanded ] ) };
        if ($wire) {
            ( $module, $func, $expanded ) = @$wire;
            utf8::encode($errors) if utf8::is_utf8($errors);
            die "${module}::$func(" . describe_args( $expanded, 'bytes' ) . ") failed: $errors\n";
        }
    }
    die "${module}::$func(" . describe_args($expanded) . ") failed: $errors\n";
}

# cPanel's templates pass list arguments as key-0, key-1, ...; an empty
# list is left out, as in cPanel.
sub expand_array_args {
    my ($args) = @_;
    return {} if !defined $args;
    my %expanded;
    for my $key ( keys %$args ) {
        my $value = $args->{$key};
        if ( ref $value ne 'ARRAY' ) {
            $expanded{$key} = $value;
            next;
        }
        $expanded{"$key-$_"} = $value->[$_] for 0 .. $#$value;
    }
    return \%expanded;
}

# "key=value, ..." in key order, with secret values hidden. With a true
# $bytes, the arguments are byte strings and structures keep their bytes.
sub describe_args {
    my ( $args, $bytes ) = @_;
    my $json = $bytes ? $ARG_BYTES_JSON : $ARG_JSON;
    return join ', ', map {
        my $value = $args->{$_};
        my $shown =
            Cpanel::LiveAPI::_is_secret_key($_) ? $REDACTED
          : !defined $value      ? ''
          : ref $value           ? $json->encode( Cpanel::LiveAPI::_redact($value) )
          :                        $value;
        "$_=$shown";
    } sort keys %$args;
}

1;

__END__

=encoding UTF-8

=head1 NAME

Cpanel::LiveAPI::Template - Template Toolkit execute() over a Cpanel::LiveAPI connection

=head1 SYNOPSIS

 use Template ();
 use Cpanel::LiveAPI ();
 use Cpanel::LiveAPI::Template ();

 my $cpliveapi = Cpanel::LiveAPI->new();
 my $tt        = Template->new();
 $tt->process( 'change.tt', { %{ Cpanel::LiveAPI::Template->vars($cpliveapi) }, user => 'user', pw => '12345luggage' } )
     or die $tt->error;

 # change.tt
 [% SET r = execute('Email', 'passwd_pop', { email => user, password => pw, domain => 'example.com' }) %]
 [% IF r.status %]Changed.[% ELSE %][% FOREACH e IN r.errors %][% e %]
 [% END %][% END %]

=head1 DESCRIPTION

cPanel templates call UAPI with C<execute(Module, function, {args})> and get a
result object back (C<r.status>, C<r.errors>, C<r.data>, C<r.messages>,
C<r.warnings>, C<r.metadata>). This module provides the same two functions for
templates processed outside cPanel, sending the calls through a
L<Cpanel::LiveAPI> connection. For C<[% USE %]>, see
L<Template::Plugin::Cpanel::LiveAPI>.

=head1 METHODS

=over

=item Cpanel::LiveAPI::Template->vars( [$cpliveapi] )

Returns C<< { execute => CODE, execute_or_die => CODE } >> for the variables
of C<< Template->process >>. Without a connection, the first call opens one
with C<< Cpanel::LiveAPI->new() >> (byte-string results); pass a connection
made with C<< { utf8_strings => 1 } >> for character strings.

=item Cpanel::LiveAPI::Template->new( [$cpliveapi] )

An executor object with the methods below.

=item $executor->execute( $module, $function, \%args )

Runs the UAPI function and returns a L<Cpanel::LiveAPI::Result>. Array values
are sent as C<key-0>, C<key-1>, ... (an empty array is left out), as cPanel
does. A failing function returns a result with C<status> 0; connection
problems die (see L<Cpanel::LiveAPI/ERRORS>), which makes
C<< Template->process >> fail. Arguments and results follow
L<Cpanel::LiveAPI/ENCODING>: byte strings are sent as they are, character
strings as UTF-8, and the result holds UTF-8 byte strings (what templates in
cPanel see) unless the connection was made with C<utf8_strings>.

=item $executor->execute_or_die( $module, $function, \%args )

Like C<execute>, but dies with
C<< "Module::function(key=value, ...) failed: <errors joined by newlines>\n" >>
when C<status> is 0. Values of arguments whose name contains C<pass>,
C<secret> or C<token> are shown as C<********> and removed from the error
text, whether they were given as bytes or as characters. With byte-string
results (the default), the whole message is UTF-8 bytes: arguments given as
character strings appear as their UTF-8 bytes, so nothing is encoded twice.

=item $executor->connection

The L<Cpanel::LiveAPI> connection in use (opened on first use).

=item expand_array_args( \%args ), describe_args( \%args [, $bytes] )

The helpers behind the two methods: the C<key-N> expansion, and the redacted
argument list of the error message (with a true C<$bytes>, for arguments that
are all byte strings: structures keep their bytes).

=back

=head1 COMPATIBILITY

cPanel's own C<execute_or_die> prints the argument hash as C<HASH(0x...)>;
this one lists the arguments, without secret values.

=cut
