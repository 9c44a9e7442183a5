package LiveAPITest::Paths;

# Where the tests find the repository's shared data: the golden vectors
# (tests/golden/vectors.json in the repository) and the reference server
# (<repo root>/../shared/tools, or $LIVEAPID_SHARED/tools).

use strict;
use warnings;

use Cwd ();
use Encode ();
use Exporter 'import';
use File::Basename ();
use File::Spec ();
use JSON::PP ();

our @EXPORT_OK = qw(repo_root dist_root shared_dir reference_server_script make_account_script golden_vectors short_tempdir);

# This file is <repo>/bindings/perl/t/lib/LiveAPITest/Paths.pm.
my $DIST_ROOT = Cwd::abs_path( File::Spec->catdir( File::Basename::dirname(__FILE__), ('..') x 3 ) );
my $REPO_ROOT = Cwd::abs_path( File::Spec->catdir( $DIST_ROOT, '..', '..' ) );

sub dist_root { return $DIST_ROOT }
sub repo_root { return $REPO_ROOT }

sub shared_dir {
    return $ENV{LIVEAPID_SHARED} if defined $ENV{LIVEAPID_SHARED} && length $ENV{LIVEAPID_SHARED};
    return File::Spec->catdir( $REPO_ROOT, '..', 'shared' );
}

sub reference_server_script {
    return File::Spec->catfile( shared_dir(), 'tools', 'cpanel-like-server.py' );
}

sub make_account_script {
    return File::Spec->catfile( $REPO_ROOT, 'tests', 'fixtures', 'make-account' );
}

# Returns a hash: id => { id, direction, note, bytes (a byte string), length }.
sub golden_vectors {
    my $path = File::Spec->catfile( $REPO_ROOT, 'tests', 'golden', 'vectors.json' );
    open my $fh, '<:raw', $path or die "cannot read the golden vectors $path: $!\n";
    my $entries = JSON::PP->new->utf8->decode( do { local $/; <$fh> } );
    my %by_id;
    for my $entry (@$entries) {
        my $bytes = Encode::encode( 'UTF-8', $entry->{bytes} );
        die "golden vector $entry->{id}: length field $entry->{length} != " . length($bytes) . " bytes\n"
          if length($bytes) != $entry->{length};
        $by_id{ $entry->{id} } = { %$entry, bytes => $bytes };
    }
    return \%by_id;
}

# Unix socket paths are limited to 107 bytes, so scratch directories live
# directly under the system temp directory.
sub short_tempdir {
    require File::Temp;
    return File::Temp::tempdir( 'liveapi-XXXXXX', TMPDIR => 1, CLEANUP => 1 );
}

1;
