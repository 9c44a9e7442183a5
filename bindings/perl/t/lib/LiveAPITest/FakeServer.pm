package LiveAPITest::FakeServer;

# A scripted LiveAPI server for exactly one connection, run in a forked
# process. It records every request exactly as it arrived (length line and
# payload) and answers each one, in order, with the next scripted reply:
#
#   "bytes"                        written with one write
#   [ [ "bytes", $delay ], ... ]   pieces written separately, each after
#                                  sleeping $delay seconds; a piece with
#                                  undef bytes closes the connection
#   undef (or no replies left)     close the connection without answering
#
# A shutdown request gets no reply (or `shutdown_reply`), then the server
# closes. With `chunk_size`, plain replies are written in pieces of that size.

use strict;
use warnings;

use IO::Socket::UNIX ();
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes ();
use LiveAPITest::Paths qw(short_tempdir);

use constant SWITCH_REPLY => qq{<?xml version="1.0" ?>\n<cpanelresult>{"data":{"result":"json"}}</cpanelresult>\n};

sub start {
    my ( $class, %options ) = @_;
    my $dir    = short_tempdir();
    my $socket = "$dir/fake.sock";
    my $record = "$dir/requests.bin";

    my $listener = IO::Socket::UNIX->new( Type => SOCK_STREAM, Local => $socket, Listen => 1 )
      or die "cannot listen on $socket: $!\n";
    open my $touch, '>', $record or die "$record: $!\n";
    close $touch;

    my $pid = fork;
    die "fork: $!\n" if !defined $pid;
    if ( !$pid ) {
        my $ok = eval { _serve( $listener, $record, \%options ); 1 };
        print STDERR "fake server: $@" if !$ok;
        POSIX::_exit( $ok ? 0 : 1 );    # no END blocks or destructors of the test
    }
    close $listener;
    return bless { pid => $pid, owner => $$, socket => $socket, record => $record }, $class;
}

sub socket { return $_[0]{socket} }

# The requests received so far, as raw byte strings.
sub requests {
    my ($self) = @_;
    open my $fh, '<:raw', $self->{record} or die "$self->{record}: $!\n";
    my $data = do { local $/; <$fh> };
    my @requests;
    while ( length $data >= 4 ) {
        my $n = unpack 'N', $data;
        push @requests, substr( $data, 4, $n );
        substr( $data, 0, 4 + $n, '' );
    }
    return @requests;
}

# Waits for the server process to end (the connection closed); returns its
# exit status, or undef if it had to be killed after $timeout seconds.
sub finish {
    my ( $self, $timeout ) = @_;
    my $pid = delete $self->{pid} or return 0;
    my $deadline = Time::HiRes::time() + ( $timeout || 15 );
    while ( waitpid( $pid, POSIX::WNOHANG() ) == 0 ) {
        if ( Time::HiRes::time() > $deadline ) {
            kill 'KILL', $pid;
            waitpid( $pid, 0 );
            return undef;
        }
        Time::HiRes::sleep(0.01);
    }
    return $? >> 8;
}

sub DESTROY {
    my ($self) = @_;
    local ( $?, $!, $@ );
    return if $self->{owner} != $$ || !$self->{pid};
    kill 'KILL', $self->{pid};
    waitpid( $self->{pid}, 0 );
    return;
}

sub _serve {
    my ( $listener, $record, $options ) = @_;
    my @replies = @{ $options->{replies} || [] };
    local $SIG{ALRM} = sub { POSIX::_exit(2) };
    alarm( $options->{lifetime} || 60 );
    local $SIG{PIPE} = 'IGNORE';

    my $conn = $listener->accept or die "accept: $!\n";
    close $listener;
    binmode $conn;
    open my $log, '>>:raw', $record or die "$record: $!\n";

    my $buf = '';
    while (1) {
        my $newline;
        until ( ( $newline = index( $buf, "\n" ) ) >= 0 ) {
            return if !_fill( $conn, \$buf );
        }
        my $length_line = substr( $buf, 0, $newline + 1, '' );
        ( my $length = $length_line ) =~ s/\s+//g;
        die "bad length line: $length_line\n" if $length !~ /\A[0-9]+\z/;
        while ( length $buf < $length ) {
            return if !_fill( $conn, \$buf );
        }
        my $payload = substr( $buf, 0, $length, '' );
        my $raw     = $length_line . $payload;
        syswrite( $log, pack( 'N', length $raw ) . $raw );

        if ( $payload =~ /\A\s*<cpanelxml\s+shutdown/ ) {
            _write( $conn, $options->{shutdown_reply} ) if defined $options->{shutdown_reply};
            return;
        }
        return if !@replies;
        my $reply = shift @replies;
        return if !defined $reply;
        if ( ref $reply eq 'ARRAY' ) {
            for my $piece (@$reply) {
                Time::HiRes::sleep( $piece->[1] ) if $piece->[1];
                return if !defined $piece->[0];
                _write( $conn, $piece->[0] );
            }
        }
        elsif ( my $size = $options->{chunk_size} ) {
            for ( my $at = 0 ; $at < length $reply ; $at += $size ) {
                _write( $conn, substr( $reply, $at, $size ) );
                Time::HiRes::sleep( $options->{chunk_delay} ) if $options->{chunk_delay};
            }
        }
        else {
            _write( $conn, $reply );
        }
    }
}

sub _fill {
    my ( $conn, $buf ) = @_;
    my $n = sysread( $conn, $$buf, 65536, length $$buf );
    return $n;
}

sub _write {
    my ( $conn, $bytes ) = @_;
    my $offset = 0;
    while ( $offset < length $bytes ) {
        my $n = syswrite( $conn, $bytes, length($bytes) - $offset, $offset );
        POSIX::_exit(0) if !defined $n && ( $!{EPIPE} || $!{ECONNRESET} );    # the client is gone: session over
        die "write: $!\n" if !defined $n;
        $offset += $n;
    }
    return;
}

1;
