package Cpanel::LiveAPI::Result;

use strict;
use warnings;

our $VERSION = '0.3';

use Carp ();

my @LIST_FIELDS = qw(errors messages warnings);

sub new {
    my ( $class, %fields ) = @_;
    my $self = bless {
        module   => $fields{module},
        func     => $fields{func},
        status   => $fields{status} ? 1 : 0,
        data     => $fields{data},
        metadata => ref $fields{metadata} eq 'HASH' ? $fields{metadata} : {},
    }, $class;
    for my $field (@LIST_FIELDS) {
        my $list = $fields{$field};
        $self->{$field} = !defined $list ? undef : ref $list eq 'ARRAY' ? $list : [$list];
    }
    return $self;
}

sub from_reply {
    my ( $class, $module, $func, $reply ) = @_;
    my $envelope = ref $reply eq 'HASH' ? $reply->{cpanelresult} : undef;
    my $result   = ref $envelope eq 'HASH' ? $envelope->{result} : undef;

    if ( ref $result eq 'HASH' ) {
        return $class->new(
            module => $module,
            func   => $func,
            ( map { $_ => $result->{$_} } qw(status data metadata), @LIST_FIELDS ),
        );
    }

    # Not a UAPI envelope: the engine answered with a generic error object
    # (for example "No Valid Command Given."). Report it as a failed call.
    my $reason;
    if ( ref $envelope eq 'HASH' ) {
        $reason = $envelope->{error};
        $reason = $envelope->{data}{reason} if !defined $reason && ref $envelope->{data} eq 'HASH';
    }
    $reason = "The cPanel engine did not return a UAPI result for ${module}::$func." if !defined $reason || $reason eq '';
    return $class->new( module => $module, func => $func, status => 0, errors => [$reason] );
}

sub status   { return $_[0]{status} }
sub data     { return $_[0]{data} }
sub errors   { return $_[0]{errors} }
sub messages { return $_[0]{messages} }
sub warnings { return $_[0]{warnings} }
sub module   { return $_[0]{module} }
sub func     { return $_[0]{func} }

sub metadata {
    my ( $self, $key ) = @_;
    return defined $key ? $self->{metadata}{$key} : $self->{metadata};
}

sub errors_as_string   { return _joined( $_[0]{errors} ) }
sub messages_as_string { return _joined( $_[0]{messages} ) }
sub warnings_as_string { return _joined( $_[0]{warnings} ) }

sub _joined {
    my ($list) = @_;
    return '' if !$list;
    return join "\n", map { defined $_ ? $_ : '' } @$list;
}

1;

__END__

=encoding UTF-8

=head1 NAME

Cpanel::LiveAPI::Result - the UAPI result object that Template Toolkit's execute() returns

=head1 SYNOPSIS

 my $result = Cpanel::LiveAPI::Result->from_reply( 'Email', 'passwd_pop',
     $cpliveapi->uapi( 'Email', 'passwd_pop', \%args ) );
 print $result->status ? "ok\n" : $result->errors_as_string . "\n";

 [% SET r = execute('Email', 'list_pops', {}) %]
 [% IF r.status %][% FOREACH pop IN r.data %]...[% END %][% END %]

=head1 DESCRIPTION

The fields of a UAPI result (C<< cpanelresult.result >> of a reply), with the
accessors of cPanel's C<Cpanel::Result> that templates use. Its strings are
those of the reply: UTF-8 byte strings by default, as templates in cPanel see
them, or character strings from a connection made with C<utf8_strings> (see
L<Cpanel::LiveAPI/ENCODING>).

=head1 METHODS

=over

=item Cpanel::LiveAPI::Result->from_reply( $module, $function, $reply )

Builds the object from a reply of L<Cpanel::LiveAPI/uapi>. A reply without a
UAPI result (a generic error object from the engine) becomes a failed result
whose only error is the engine's message.

=item Cpanel::LiveAPI::Result->new( %fields )

Builds the object from C<status>, C<data>, C<errors>, C<messages>,
C<warnings>, C<metadata>, C<module> and C<func>.

=item status

1 on success, 0 on failure.

=item data

The function's data: a hash, a list, a string or undef.

=item errors, messages, warnings

Array references of strings, or undef when there are none.

=item metadata( [$key] )

The metadata hash, or one entry of it.

=item errors_as_string, messages_as_string, warnings_as_string

The list joined with newlines ('' when empty).

=item module, func

The function that produced the result.

=back

=cut
