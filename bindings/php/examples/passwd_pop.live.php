<?php
/**
 * Seed script: change the password of user@example.com through LiveAPI.
 *
 * cpsrvd (or liveapid) runs it with CPANEL_PHPCONNECT_SOCKET set. From a
 * shell, point the variable at liveapid's socket:
 *
 *   CPANEL_PHPCONNECT_SOCKET=/path/to/live.sock php passwd_pop.live.php [new-password]
 *
 * The password defaults to '12345luggage', the one of cPanel's examples: it
 * rates 63, so `liveapid demo` accepts it but a server with cPanel's default
 * minimum strength (65) refuses it as too weak; give a stronger one there.
 * One given on the command line is visible to other users in `ps`; use that
 * only on a test machine.
 *
 * Prints the result with print_r, then as one line of JSON. Exit status:
 * 0 if the password was changed, 1 if cPanel refused, 2 on a LiveAPI error.
 */
require_once dirname(__DIR__) . '/cpanel.php';

$password = isset($argv[1]) ? $argv[1] : '12345luggage';

try {
    $cpanel = new CPANEL();
    $new_passwd = $cpanel->uapi('Email', 'passwd_pop', array('email' => 'user', 'password' => $password, 'domain' => 'example.com'));
    $cpanel->end();
} catch (Exception $e) {
    fwrite(STDERR, 'LiveAPI error: ' . $e->getMessage() . "\n");
    exit(2);
}

print_r($new_passwd);
echo json_encode($new_passwd, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
exit($new_passwd['cpanelresult']['result']['status'] ? 0 : 1);
