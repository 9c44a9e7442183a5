package LiveAPITest::Util;

# Small helpers shared by the tests.

use strict;
use warnings;

use Exporter 'import';
use JSON::PP ();
use Test::More ();

our @EXPORT_OK = qw(same_json frame uapi_echo_frame parse_request canonical_json);

my $CANONICAL = JSON::PP->new->canonical(1)->allow_nonref(1);

sub canonical_json {
    my ($data) = @_;
    return $CANONICAL->encode($data);
}

# Compares two structures through canonical JSON, so that the number 1 and
# the string "1" are different (is_deeply treats them as equal). Encode both
# before anything stringifies a number.
sub same_json {
    my ( $got, $expected, $name ) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return Test::More::is( canonical_json($got), canonical_json($expected), $name );
}

# A reply frame exactly as the spec defines it.
sub frame {
    my ($json_bytes) = @_;
    return qq{<?xml version="1.0" ?>\n<cpanelresult>} . $json_bytes . "</cpanelresult>\n";
}

# A UAPI reply frame of exactly $size bytes (an echo with a padding string).
sub uapi_echo_frame {
    my ( $size, $tag ) = @_;
    my $json = sub {
        my ($pad) = @_;
        return qq({"apiversion":3,"func":"echo","module":"Test","result":{"data":{"tag":"$tag","pad":"$pad"},)
          . qq("errors":null,"messages":null,"metadata":{},"status":1,"warnings":null}});
    };
    my $overhead = length frame( $json->('') );
    die "frame size $size is below the minimum $overhead\n" if $size < $overhead;
    my $bytes = frame( $json->( 'x' x ( $size - $overhead ) ) );
    die 'internal: wrong frame size' if length $bytes != $size;
    return $bytes;
}

# Splits a raw request into (declared length, payload), checking the framing.
sub parse_request {
    my ($raw) = @_;
    my ( $declared, $payload ) = $raw =~ /\A([0-9]+)\n(.*)\z/s or return;
    return ( $declared, $payload );
}

1;
