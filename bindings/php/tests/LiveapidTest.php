<?php

namespace Liveapid\CpanelLiveapi\Tests;

use CPANEL;
use CPANEL_SocketException;
use Liveapid\CpanelLiveapi\Tests\Support\LiveApiTestCase;
use Liveapid\CpanelLiveapi\Tests\Support\Paths;
use Liveapid\CpanelLiveapi\Tests\Support\Process;

/**
 * The shim against liveapid itself, on a scratch account laid out by
 * tests/fixtures/make-account. Runs only when LIVEAPID_BIN names the binary:
 *
 *   LIVEAPID_BIN=../../target/debug/liveapid phpunit --group liveapid
 *
 * @group liveapid
 */
final class LiveapidTest extends LiveApiTestCase
{
    /** The password of the seed script (strength between 60 and 65). */
    private const SEED_PASSWORD = '12345luggage';

    /** @var Process[] The daemons of this test (setUp starts the first). */
    private $daemons = [];

    /** @var string DIR/root */
    private $root;

    /** @var string DIR/home/demo */
    private $home;

    /** @var string The password make-account gave every mailbox. */
    private $initialPassword;

    protected function setUp(): void
    {
        parent::setUp();
        $binary = getenv('LIVEAPID_BIN');
        if (!is_string($binary) || $binary === '') {
            $this->markTestSkipped(
                'LIVEAPID_BIN is not set: set it to a liveapid binary (e.g. LIVEAPID_BIN=$PWD/../../target/debug/liveapid) '
                . 'to run the shim against the daemon.'
            );
        }
        $this->assertTrue(is_file($binary) && is_executable($binary), "LIVEAPID_BIN=$binary is not an executable file");

        $this->initialPassword = getenv('MAKE_ACCOUNT_PASSWORD') ?: 'Old-Secret-1234';
        [$exit, $stdout, $stderr] = Process::run(
            ['perl', Paths::makeAccount(), $this->tmp->path(), '--min-strength', '60']
        );
        $this->assertSame(0, $exit, 'make-account failed: ' . $stderr);
        $this->assertSame(1, preg_match('/^root=(.+)$/m', $stdout, $root), $stdout);
        $this->assertSame(1, preg_match('/^home=(.+)$/m', $stdout, $home), $stdout);
        $this->root = $root[1];
        $this->home = $home[1];

        $this->useSocket($this->serve('live.sock'));
    }

    /** Stop the daemons with SIGTERM; a daemon that ignores it fails the test. */
    protected function tearDown(): void
    {
        $stuck = [];
        foreach ($this->daemons as $daemon) {
            if (!$daemon->stop(15, 5.0)) {
                $stuck[] = $daemon->stderr();
            }
        }
        $this->daemons = [];
        parent::tearDown();
        if ($stuck) {
            $this->fail("liveapid did not exit within 5 s of SIGTERM; stderr:\n" . implode("\n", $stuck));
        }
    }

    /**
     * Start `liveapid serve` for the scratch account on a new socket.
     *
     * @param string   $name    Socket file name in the scratch directory
     * @param string[] $options More `serve` options
     *
     * @return string The socket path, once it accepts connections
     */
    private function serve(string $name, array $options = []): string
    {
        $socket = $this->tmp->path($name);
        $daemon = Process::start(
            array_merge(
                [getenv('LIVEAPID_BIN'), 'serve', '--user', 'demo', '--root', $this->root, '--home', $this->home, '--socket', $socket],
                $options
            ),
            [],
            $this->tmp->path()
        );
        $this->daemons[] = $daemon;
        $this->waitForSocket($daemon, $socket);
        return $socket;
    }

    /**
     * A request over --max-request-bytes: liveapid answers with a
     * "session":"closed" frame and closes; the shim throws its text and
     * refuses further calls.
     */
    public function testRequestOverTheDaemonLimitThrowsTheDaemonText(): void
    {
        $this->useSocket($this->serve('small.sock', ['--max-request-bytes', '4096']));
        $cpanel = new CPANEL();
        $cpanel->set_timeout(5);
        $this->assertSame(1, $cpanel->uapi('Email', 'list_pops', array('regex' => 'x'))['cpanelresult']['result']['status'], 'a small call works');

        try {
            $cpanel->uapi('Email', 'list_pops', array('regex' => str_repeat('x', 10000)));
            $this->fail('a request over the limit returned');
        } catch (CPANEL_SocketException $e) {
            $this->assertSame(CPANEL::EMSGSIZE, $e->getCode());
            $this->assertStringContainsString('limit of 4096 bytes', $e->getMessage());
        }
        $this->assertSame(0, $cpanel->connected);
        $this->assertLessThan(1.0, self::timed([$cpanel, 'end']));
        $this->expectExceptionMessage(CPANEL::CLOSED_MESSAGE);
        $cpanel->cpanelprint('$user');
    }

    /**
     * The seed script's call changes the hash, and the new hash verifies
     * with PHP's crypt()/password_verify() and with Perl's crypt().
     */
    public function testSeedScriptChangesThePassword(): void
    {
        $before = $this->shadow('example.com');
        $otherDomainBefore = $this->shadow('example.net');

        $cpanel = new CPANEL();
        $new_passwd = $cpanel->uapi('Email', 'passwd_pop', array('email' => 'user', 'password' => self::SEED_PASSWORD, 'domain' => 'example.com'));
        $cpanel->end();

        $this->assertSame(1, $new_passwd['cpanelresult']['result']['status'], json_encode($new_passwd));
        $this->assertEmpty($new_passwd['cpanelresult']['result']['errors']);
        $this->assertSame('passwd_pop', $new_passwd['cpanelresult']['func']);

        $after = $this->shadow('example.com');
        $hash = $after['user'][1];
        $this->assertNotSame($before['user'][1], $hash);
        $this->assertMatchesRegularExpression('/^\$6\$[.\/0-9A-Za-z]{1,16}\$[.\/0-9A-Za-z]{86}$/', $hash);
        $this->assertTrue(password_verify(self::SEED_PASSWORD, $hash), 'PHP password_verify');
        $this->assertTrue(hash_equals($hash, crypt(self::SEED_PASSWORD, $hash)), 'PHP crypt');
        $this->assertTrue($this->perlCryptVerifies(self::SEED_PASSWORD, $hash), 'Perl crypt');
        $this->assertFalse($this->perlCryptVerifies($this->initialPassword, $hash), 'the old password no longer works');
        $this->assertFalse(password_verify($this->initialPassword, $hash));

        // Only that hash changed: same fields on its line, the other lines and the other domain untouched.
        $this->assertCount(count($before['user']), $after['user']);
        $this->assertSame($before['alice'], $after['alice']);
        $this->assertSame($before['bob'], $after['bob']);
        $this->assertSame($otherDomainBefore, $this->shadow('example.net'));
        $this->assertTrue(password_verify($this->initialPassword, $otherDomainBefore['user'][1]));
    }

    /**
     * With debug logging on, a script's calls to liveapid are logged, and no
     * value of an argument named password, pass, secret, token or
     * password_hash is.
     */
    public function testDebugLogAgainstTheDaemonHidesEverySecretArgument(): void
    {
        $socket = $this->serve('debug.sock');
        $log = $this->tmp->path('debug.log');
        $secret = 'Dbg-Secret-Value/9&x';
        [$exit, $stdout, $stderr] = Process::run(
            [PHP_BINARY, Paths::fixture('debug-secrets.php'), $log],
            ['CPANEL_PHPCONNECT_SOCKET' => $socket, 'LIVEAPI_TEST_PASSWORD' => $secret]
        );
        $this->assertSame(0, $exit, $stdout . $stderr);
        $this->assertStringContainsString("status=1\n", $stdout, 'the password was changed');
        $this->assertTrue(password_verify($secret, $this->shadow('example.com')['user'][1]));
        $text = (string) file_get_contents($log);
        foreach (['password', 'pass', 'secret', 'token', 'password_hash'] as $name) {
            $this->assertStringContainsString('"' . $name . '":"[redacted]"', $text, $name);
        }
        $this->assertStringContainsString('"func":"no_such_function"', $text, 'the calls are logged');
        $this->assertStringNotContainsString('Dbg-Secret', $text);
    }

    /**
     * "</cpanelresult>" inside a value (here the daemon's error echoing the
     * name it refuses) does not end the frame: the shim decodes the whole
     * value.
     */
    public function testCloseTagInsideAValueIsDecodedWhole(): void
    {
        $cpanel = new CPANEL();
        $name = 'x</cpanelresult>y';
        $reply = $cpanel->uapi('Email', 'passwd_pop', array('email' => $name, 'password' => 'Whatever-Pw-12345'));
        $this->assertSame(
            ["\u{201c}$name\u{201d} is not a valid email account name. Use letters, numbers, periods (not first, last, "
                . 'or twice in a row), and the characters ! # $ - = ? ^ _ { } ~.'],
            $reply['cpanelresult']['result']['errors']
        );
        $this->assertSame(1, $cpanel->uapi('Email', 'list_pops', array())['cpanelresult']['result']['status'], 'the session goes on');
        $cpanel->end();
    }

    /**
     * The example script, as a user would run it.
     */
    public function testExampleSeedScript(): void
    {
        [$exit, $stdout, $stderr] = Process::run([PHP_BINARY, Paths::binding() . '/examples/passwd_pop.live.php']);

        $this->assertSame(0, $exit, $stdout . $stderr);
        $lines = explode("\n", trim($stdout));
        $this->assertSame(1, json_decode((string) end($lines), true)['cpanelresult']['result']['status']);
        $this->assertTrue(password_verify(self::SEED_PASSWORD, $this->shadow('example.com')['user'][1]));
    }

    /**
     * The daemon re-reads cpanel.config on every call: with minpwstrength=65
     * the same password is refused with cPanel's message, and nothing changes.
     */
    public function testWeakPasswordIsRefusedAfterRaisingTheMinimumStrength(): void
    {
        $cpanel = new CPANEL();
        $this->assertSame(1, $this->seedCall($cpanel)['cpanelresult']['result']['status']);

        $this->setMinimumStrength(65);
        $shadowBefore = file_get_contents($this->home . '/etc/example.com/shadow');
        $refused = $this->seedCall($cpanel);
        $cpanel->end();

        $this->assertSame(0, $refused['cpanelresult']['result']['status']);
        $this->assertSame(
            ['The given password is too weak. Please enter a password with a strength rating of 65 or higher.'],
            $refused['cpanelresult']['result']['errors']
        );
        $this->assertSame($shadowBefore, file_get_contents($this->home . '/etc/example.com/shadow'));
    }

    /**
     * A script killed while it is busy calling the daemon (and one killed
     * after sending half a request) does not stop the daemon serving the
     * next script, and the shadow file stays whole.
     */
    public function testDaemonSurvivesScriptsThatDieMidCall(): void
    {
        $loopPassword = 'Loop-Pass/word-8431-xyz';
        $script = Process::start(
            [PHP_BINARY, Paths::fixture('call-loop.php')],
            ['LIVEAPI_TEST_PASSWORD' => $loopPassword],
            $this->tmp->path()
        );
        $script->waitForOutput("call 3\n", 20.0);
        $script->signal(9);
        $this->assertSame(128 + 9, $script->wait(5.0), 'killed by SIGKILL: ' . $script->stderr());

        $half = stream_socket_client('unix://' . getenv('CPANEL_PHPCONNECT_SOCKET'));
        fwrite($half, "26\n<cpaneljson enable=\"1\">181\n<cpanelaction>\n{\"module\":\"Email\",\"reqtype\":\"exec\"");
        fclose($half);

        $shadow = $this->shadow('example.com');
        $this->assertSame(['alice', 'bob', 'user'], self::sortedKeys($shadow), 'every line is still there');
        $this->assertTrue(password_verify($loopPassword, $shadow['user'][1]), 'the last completed change is in place');

        $cpanel = new CPANEL();
        $result = $this->seedCall($cpanel);
        $cpanel->end();
        $this->assertSame(1, $result['cpanelresult']['result']['status'], json_encode($result));
        $this->assertTrue(password_verify(self::SEED_PASSWORD, $this->shadow('example.com')['user'][1]));
        $this->assertTrue($this->daemons[0]->isRunning());
    }

    /**
     * @return array<string, mixed> The reply of the seed script's call
     */
    private function seedCall(CPANEL $cpanel): array
    {
        return $cpanel->uapi('Email', 'passwd_pop', array('email' => 'user', 'password' => self::SEED_PASSWORD, 'domain' => 'example.com'));
    }

    /**
     * Parse DIR/home/demo/etc/DOMAIN/shadow.
     *
     * @return array<string, string[]> mailbox => its colon-separated fields
     */
    private function shadow(string $domain): array
    {
        $entries = [];
        foreach (file($this->home . '/etc/' . $domain . '/shadow', FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $line) {
            $fields = explode(':', $line);
            $this->assertGreaterThanOrEqual(2, count($fields), "malformed shadow line for $domain");
            $entries[$fields[0]] = $fields;
        }
        return $entries;
    }

    /**
     * Check a hash with Perl's crypt(); the password goes through stdin and
     * the hash through the environment, never the command line.
     */
    private function perlCryptVerifies(string $password, string $hash): bool
    {
        [$exit, , $stderr] = Process::run(
            ['perl', '-e', 'my $pw = do { local $/; <STDIN> }; exit(crypt($pw, $ENV{LIVEAPI_TEST_HASH}) eq $ENV{LIVEAPI_TEST_HASH} ? 0 : 1)'],
            ['LIVEAPI_TEST_HASH' => $hash],
            $password
        );
        $this->assertContains($exit, [0, 1], 'perl failed: ' . $stderr);
        return $exit === 0;
    }

    /**
     * Rewrite DIR/root/var/cpanel/cpanel.config with a new minpwstrength,
     * atomically so the daemon never reads half a file.
     */
    private function setMinimumStrength(int $strength): void
    {
        $path = $this->root . '/var/cpanel/cpanel.config';
        $lines = array_filter(
            file($path, FILE_IGNORE_NEW_LINES) ?: [],
            function ($line) {
                return strncmp($line, 'minpwstrength=', 14) !== 0;
            }
        );
        $lines[] = 'minpwstrength=' . $strength;
        file_put_contents($path . '.new', implode("\n", $lines) . "\n");
        rename($path . '.new', $path);
    }

    /** Wait until the daemon accepts connections on $path; fail if it exits or takes over 15 s. */
    private function waitForSocket(Process $daemon, string $path): void
    {
        $deadline = microtime(true) + 15.0;
        while (true) {
            if (file_exists($path) && filetype($path) === 'socket') {
                $probe = @stream_socket_client('unix://' . $path);
                if ($probe) {
                    fclose($probe);
                    return;
                }
            }
            if (!$daemon->isRunning()) {
                $this->fail("liveapid exited (" . $daemon->exitCode() . ") before listening:\n" . $daemon->stderr());
            }
            if (microtime(true) > $deadline) {
                $this->fail("liveapid did not create $path within 15 s:\n" . $daemon->stderr());
            }
            usleep(20000);
        }
    }

    /**
     * @param array<string, mixed> $map
     *
     * @return string[]
     */
    private static function sortedKeys(array $map): array
    {
        $keys = array_keys($map);
        sort($keys);
        return $keys;
    }
}
