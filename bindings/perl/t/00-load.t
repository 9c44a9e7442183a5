use strict;
use warnings;
use Test::More;

use_ok('Cpanel::LiveAPI');
use_ok('Cpanel::LiveAPI::Result');
use_ok('Cpanel::LiveAPI::Template');

is( $Cpanel::LiveAPI::VERSION, '0.3', 'same $VERSION as the official module' );

can_ok(
    'Cpanel::LiveAPI',
    qw(new uapi api1 api2 api3 api exec fetch cpanelprint cpanellangprint cpanelif cpanelfeature
      header footer set_debug get_debug_level get_debug_log debug_log debug_log_json end DESTROY utf8_strings)
);
can_ok( 'Cpanel::LiveAPI::Result',   qw(status data errors messages warnings metadata errors_as_string) );
can_ok( 'Cpanel::LiveAPI::Template', qw(vars execute execute_or_die expand_array_args describe_args) );

SKIP: {
    skip 'Template Toolkit is not installed', 2 if !eval { require Template; 1 };
    use_ok('Template::Plugin::Cpanel::LiveAPI');
    isa_ok( 'Template::Plugin::Cpanel::LiveAPI', 'Template::Plugin' );
}

done_testing();
