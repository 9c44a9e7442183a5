package LiveAPITest::Paths;

# Where the tests find the data they share with the rest of the repository:
# the golden vectors (tests/golden/vectors.json) and the reference server
# (tests/support/reference-server). In the repository they are read where
# they are; a distribution tarball carries copies in t/data/, made by
# "make dist" (see Makefile.PL), so its tests run without the repository.

use strict;
use warnings;

use Cwd ();
use Encode ();
use Exporter 'import';
use File::Basename ();
use File::Spec ();
use JSON::PP ();

our @EXPORT_OK = qw(repo_root dist_root reference_server_script make_account_script golden_vectors_file golden_vectors short_tempdir);

# This file is <repo>/bindings/perl/t/lib/LiveAPITest/Paths.pm.
my $DIST_ROOT = Cwd::abs_path( File::Spec->catdir( File::Basename::dirname(__FILE__), ('..') x 3 ) );
my $REPO_ROOT = Cwd::abs_path( File::Spec->catdir( $DIST_ROOT, '..', '..' ) );

sub dist_root { return $DIST_ROOT }
sub repo_root { return $REPO_ROOT }

# The copy in t/data/ when this is an unpacked distribution, else the
# repository's file.
sub _shared_file {
    my ( $data_name, @repo_path ) = @_;
    my $copy = File::Spec->catfile( $DIST_ROOT, 't', 'data', $data_name );
    return -f $copy ? $copy : File::Spec->catfile( $REPO_ROOT, @repo_path );
}

sub reference_server_script {
    return _shared_file( 'reference-server', 'tests', 'support', 'reference-server' );
}

sub golden_vectors_file {
    return _shared_file( 'vectors.json', 'tests', 'golden', 'vectors.json' );
}

sub make_account_script {
    return File::Spec->catfile( $REPO_ROOT, 'tests', 'fixtures', 'make-account' );
}

# Returns a hash: id => { id, direction, note, bytes (a byte string), length }.
sub golden_vectors {
    my $path = golden_vectors_file();
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
