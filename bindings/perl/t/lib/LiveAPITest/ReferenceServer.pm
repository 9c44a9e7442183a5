package LiveAPITest::ReferenceServer;

# Runs tests/support/reference-server (the repository's reference LiveAPI
# server, which answers in cPanel's reply shapes) on a scratch socket, with
# any of its switches.

use strict;
use warnings;

use File::Spec ();
use POSIX ();
use Time::HiRes ();
use LiveAPITest::Paths qw(reference_server_script short_tempdir);

# Why the reference server cannot run here, or undef when it can.
sub unavailable_reason {
    my $script = reference_server_script();
    return "reference server not found at $script" if !-f $script;
    return 'python3 is not installed' if !_python();
    return;
}

sub _python {
    for my $dir ( File::Spec->path ) {
        my $candidate = File::Spec->catfile( $dir, 'python3' );
        return $candidate if -x $candidate;
    }
    return;
}

sub start {
    my ( $class, @flags ) = @_;
    my $dir    = short_tempdir();
    my $socket = "$dir/ref.sock";
    my $python = _python() or die "python3 is not installed\n";

    my $pid = fork;
    die "fork: $!\n" if !defined $pid;
    if ( !$pid ) {
        open STDIN,  '<', File::Spec->devnull;
        open STDOUT, '>', "$dir/server.out";
        open STDERR, '>', "$dir/server.err";
        exec( $python, reference_server_script(), $socket, @flags ) or POSIX::_exit(127);
    }

    my $self = bless { pid => $pid, owner => $$, socket => $socket, dir => $dir, flags => [@flags] }, $class;
    my $deadline = Time::HiRes::time() + 10;
    # The server prints "listening on PATH" after listen(); the socket file
    # alone appears at bind(), when connections are still refused.
    until ( $self->_listening ) {
        if ( waitpid( $pid, POSIX::WNOHANG() ) == $pid ) {
            delete $self->{pid};
            die "reference server (@flags) exited at start: " . $self->stderr . "\n";
        }
        if ( Time::HiRes::time() > $deadline ) {
            $self->stop;
            die "reference server (@flags) did not listen on $socket within 10 s\n";
        }
        Time::HiRes::sleep(0.02);
    }
    return $self;
}

sub _listening {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/server.out" or return 0;
    my $out = do { local $/; <$fh> };
    return index( $out, "listening on $self->{socket}" ) >= 0;
}

sub socket { return $_[0]{socket} }
sub pid    { return $_[0]{pid} }
sub dir    { return $_[0]{dir} }

sub stderr {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/server.err" or return '';
    return do { local $/; <$fh> };
}

# SIGKILL: the server dies without closing anything itself, like a crash.
sub kill_now {
    my ($self) = @_;
    return $self->_terminate('KILL');
}

sub stop {
    my ($self) = @_;
    return $self->_terminate('TERM');
}

sub _terminate {
    my ( $self, $signal ) = @_;
    return if $self->{owner} != $$;    # a forked test child leaves it alone
    my $pid = delete $self->{pid} or return;
    kill $signal, $pid;
    my $deadline = Time::HiRes::time() + 5;
    while ( waitpid( $pid, POSIX::WNOHANG() ) == 0 ) {
        if ( Time::HiRes::time() > $deadline ) {
            kill 'KILL', $pid;
            waitpid( $pid, 0 );
            last;
        }
        Time::HiRes::sleep(0.02);
    }
    return 1;
}

sub DESTROY {
    my ($self) = @_;
    local ( $?, $!, $@ );
    $self->stop;
    return;
}

1;
