package LiveAPITest::Liveapid;

# Runs `$LIVEAPID_BIN serve` for a scratch account laid out by
# tests/fixtures/make-account (user demo; mailboxes user, alice and bob at
# example.com and example.net; every password $MAKE_ACCOUNT_PASSWORD or
# "Old-Secret-1234").

use strict;
use warnings;

use File::Spec ();
use IO::Socket::UNIX ();
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes ();
use LiveAPITest::Paths qw(make_account_script short_tempdir);

use constant USER => 'demo';

# Why the daemon tests cannot run, or undef when they can.
sub unavailable_reason {
    my $bin = $ENV{LIVEAPID_BIN};
    return 'LIVEAPID_BIN is not set (point it at a built liveapid, e.g. target/debug/liveapid, to run the tests against the daemon)'
      if !defined $bin || $bin eq '';
    return "LIVEAPID_BIN=$bin is not an executable file" if !-f $bin || !-x $bin;
    return 'tests/fixtures/make-account is missing: ' . make_account_script() if !-f make_account_script();
    return;
}

sub initial_password {
    return defined $ENV{MAKE_ACCOUNT_PASSWORD} ? $ENV{MAKE_ACCOUNT_PASSWORD} : 'Old-Secret-1234';
}

sub start {
    my ( $class, %options ) = @_;
    my $dir = short_tempdir();
    my @make = ( $^X, make_account_script(), $dir, '--min-strength', $options{min_strength} || 60 );
    open my $make, '-|', @make or die "cannot run make-account: $!\n";
    my $report = do { local $/; <$make> };    # root=..., home=... (kept off the TAP stream)
    close $make or die "make-account failed (status $?): $report\n";

    my $self = bless {
        dir    => $dir,
        root   => "$dir/root",
        home   => "$dir/home/" . USER,
        socket => "$dir/live.sock",
        owner  => $$,
    }, $class;

    my $pid = fork;
    die "fork: $!\n" if !defined $pid;
    if ( !$pid ) {
        open STDIN,  '<', File::Spec->devnull;
        open STDOUT, '>', "$dir/liveapid.out";
        open STDERR, '>', "$dir/liveapid.err";
        exec( $ENV{LIVEAPID_BIN}, 'serve', '--user', USER, '--root', $self->{root}, '--home', $self->{home},
            '--socket', $self->{socket}, @{ $options{serve_options} || [] } ) or POSIX::_exit(127);
    }
    $self->{pid} = $pid;

    # Ready when the socket accepts a connection.
    my $deadline = Time::HiRes::time() + 15;
    while (1) {
        if ( -S $self->{socket} ) {
            my $probe = IO::Socket::UNIX->new( Type => SOCK_STREAM, Peer => $self->{socket} );
            if ($probe) {
                close $probe;
                last;
            }
        }
        if ( !$self->running ) {
            die "liveapid exited at start (status $self->{status}): " . $self->daemon_log . "\n";
        }
        if ( Time::HiRes::time() > $deadline ) {
            $self->stop;
            die "liveapid did not accept connections on $self->{socket} within 15 s: " . $self->daemon_log . "\n";
        }
        Time::HiRes::sleep(0.05);
    }
    return $self;
}

sub dir    { return $_[0]{dir} }
sub root   { return $_[0]{root} }
sub home   { return $_[0]{home} }
sub socket { return $_[0]{socket} }
sub pid    { return $_[0]{pid} }

sub daemon_log {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/liveapid.err" or return '';
    return do { local $/; <$fh> };
}

sub running {
    my ($self) = @_;
    return 0 if !$self->{pid};
    return 1 if waitpid( $self->{pid}, POSIX::WNOHANG() ) == 0;
    $self->{status} = $?;
    delete $self->{pid};
    return 0;
}

sub set_min_strength {
    my ( $self, $strength ) = @_;
    my $path = "$self->{root}/var/cpanel/cpanel.config";
    open my $fh, '>', $path or die "$path: $!\n";
    print {$fh} "minpwstrength=$strength\n";
    close $fh or die "$path: $!\n";
    return;
}

# The hash of one mailbox in ~/etc/<domain>/shadow.
sub shadow_hash {
    my ( $self, $domain, $mailbox ) = @_;
    my $path = "$self->{home}/etc/$domain/shadow";
    open my $fh, '<', $path or die "$path: $!\n";
    while ( my $line = <$fh> ) {
        my ( $name, $hash ) = split /:/, $line;
        return $hash if $name eq $mailbox;
    }
    die "no $mailbox in $path\n";
}

# SIGTERM, then wait; returns the exit status (undef if it had to be killed).
sub stop {
    my ($self) = @_;
    return $self->{status} if !$self->running;
    kill 'TERM', $self->{pid};
    my $deadline = Time::HiRes::time() + 10;
    while ( $self->running ) {
        if ( Time::HiRes::time() > $deadline ) {
            kill 'KILL', $self->{pid};
            waitpid( $self->{pid}, 0 );
            delete $self->{pid};
            return undef;
        }
        Time::HiRes::sleep(0.05);
    }
    return $self->{status};
}

sub DESTROY {
    my ($self) = @_;
    local ( $?, $!, $@ );
    $self->stop if $self->{owner} == $$;
    return;
}

1;
