#!/usr/bin/perl
# Run by "make dist" (the PREOP of Makefile.PL) with the distribution
# directory as its argument. The tests share two files with the rest of the
# liveapid repository: the golden vectors (tests/golden/vectors.json) and the
# reference server (tests/support/reference-server). A tarball has no
# repository around it, so this copies them into its t/data/ and lists them
# in its MANIFEST. The copies exist only inside tarballs, made afresh from
# the repository each time, so they cannot drift from the originals.

use strict;
use warnings;

use File::Basename ();
use File::Copy ();
use File::Path ();
use File::Spec ();

my $distdir = shift or die "usage: $0 DISTDIR\n";
my $repo    = File::Spec->catdir( File::Basename::dirname(__FILE__), '..', '..', '..' );

my %copies = (
    't/data/vectors.json'     => [ 'tests', 'golden',  'vectors.json' ],
    't/data/reference-server' => [ 'tests', 'support', 'reference-server' ],
);

File::Path::make_path("$distdir/t/data");
open my $manifest, '>>', "$distdir/MANIFEST" or die "$distdir/MANIFEST: $!\n";
for my $target ( sort keys %copies ) {
    my $source = File::Spec->catfile( $repo, @{ $copies{$target} } );
    -f $source or die "$source is missing: make dist must run inside the liveapid repository\n";
    File::Copy::copy( $source, "$distdir/$target" ) or die "copy $source: $!\n";
    chmod( ( stat $source )[2] & 07777, "$distdir/$target" ) or die "chmod $target: $!\n";
    print {$manifest} "$target\t\tcopied from the repository by make dist\n";
}
close $manifest or die "$distdir/MANIFEST: $!\n";
