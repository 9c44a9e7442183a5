<?php

namespace Liveapid\CpanelLiveapi\Tests;

use CPANEL;
use CPANEL_ProtocolException;
use CPANEL_SocketException;
use Liveapid\CpanelLiveapi\Tests\Support\LiveApiTestCase;
use Liveapid\CpanelLiveapi\Tests\Support\Paths;
use Liveapid\CpanelLiveapi\Tests\Support\Process;
use Liveapid\CpanelLiveapi\Tests\Support\ReferenceServer;
use RuntimeException;

/**
 * The shim against tests/support/reference-server, which answers in the
 * reply shapes of cPanel's engine, in every reply form and with each
 * deviation switch the server has.
 *
 * @group network
 * @group reference-server
 */
final class ReferenceServerTest extends LiveApiTestCase
{
    /** Argument values that must make the round trip unchanged. */
    private const AWKWARD_ARGUMENTS = [
        'close' => 'a </cpanelresult> b',
        'marker' => '<cpanelresult>{"cpanelresult":1}',
        'amp' => 'Pass&word & more',
        'slash' => 'n3w/Pass/word',
        'utf8' => "caf\u{e9} \u{2603} \u{1F600}",
        'newline' => "line one\nline two",
        'n' => 5,
    ];

    /**
     * Server switches that change the reply bytes but not their meaning.
     *
     * @return array<string, array{0: string[]}>
     */
    public function serverVariants(): array
    {
        return [
            'default' => [[]],
            '--pretty' => [['--pretty']],
            '--no-xml-decl' => [['--no-xml-decl']],
            '--newline-before-close' => [['--newline-before-close']],
            '--pretty --no-xml-decl --newline-before-close' => [['--pretty', '--no-xml-decl', '--newline-before-close']],
            '--ascii' => [['--ascii']],
            '--escape-slash' => [['--escape-slash']],
            '--shutdown-reply' => [['--shutdown-reply']],
            '--no-trailing-newline' => [['--no-trailing-newline']],
            '--leading-newline' => [['--leading-newline']],
        ];
    }

    /**
     * One session through every reply form: UAPI success and failure, API2,
     * API1, api3 without arguments, print tag, cpanelprint, cpanelif and
     * cpanelfeature both ways, Chrome::get_dom, awkward arguments, end().
     * The whole session must not wait on any timeout.
     *
     * @dataProvider serverVariants
     *
     * @param string[] $switches
     */
    public function testEveryReplyForm(array $switches): void
    {
        $server = $this->startReferenceServer($switches);
        $elapsed = self::timed(function () {
            $cpanel = new CPANEL();
            $cpanel->set_timeout(5);
            $this->runEveryReplyForm($cpanel);
            $this->assertLessThan(1.0, self::timed([$cpanel, 'end']), 'end() returns promptly');
        });
        $this->assertLessThan(4.0, $elapsed, 'no call waited for a timeout');
        $this->assertStringContainsString('recv b\'26\\n<cpanelxml shutdown="1" />\'', $server->log());
    }

    public function testUapiFailureReportsTheErrors(): void
    {
        $this->startReferenceServer();
        $cpanel = new CPANEL();

        $result = $cpanel->uapi('Fail', 'now', array('x' => 1));

        $this->assertSame(0, $result['cpanelresult']['result']['status']);
        $this->assertSame(['Mock failure requested.'], $result['cpanelresult']['result']['errors']);
        $this->assertSame('Fail', $result['cpanelresult']['module']);
        $cpanel->end();
    }

    public function testHeaderAndFooterComeFromChromeGetDom(): void
    {
        $server = $this->startReferenceServer();
        $cpanel = new CPANEL();

        $this->assertSame('<html><head><title>Mail</title></head><body><div id="content">', $cpanel->header('Mail', 'email_accounts'));
        $this->assertSame('</div></body></html>', $cpanel->footer());
        $cpanel->end();

        $this->assertStringContainsString(
            '"apiversion":"uapi","args":{"page_title":"Mail","app_key":"email_accounts"}',
            $server->log()
        );
        $this->assertSame(1, preg_match_all('/^recv .*Chrome/m', $server->log()), 'the DOM is fetched once and cached');
    }

    public function testFallsBackToCpanelConnectSocket(): void
    {
        $server = $this->startReferenceServer();
        putenv('CPANEL_PHPCONNECT_SOCKET');
        putenv('CPANEL_CONNECT_SOCKET=' . $server->socketPath());

        $cpanel = new CPANEL();

        $this->assertSame('dave', $cpanel->cpanelprint('$user'));
        $cpanel->end();
    }

    public function testPrefersCpanelPhpconnectSocket(): void
    {
        $server = $this->startReferenceServer();
        putenv('CPANEL_PHPCONNECT_SOCKET=' . $server->socketPath());
        putenv('CPANEL_CONNECT_SOCKET=' . $this->tmp->path('nothing-here.sock'));

        $cpanel = new CPANEL();

        $this->assertSame('/home/dave', $cpanel->cpanelprint('$homedir'));
        $cpanel->end();
    }

    /**
     * A call longer than the idle timeout succeeds when the server sends
     * keep-alive newlines, and returns its own result, not the previous one.
     */
    public function testSlowCallWithKeepAliveOutlivesTheTimeout(): void
    {
        $this->startReferenceServer(['--keepalive', '1']);
        $cpanel = new CPANEL();
        $cpanel->set_timeout(2);
        $this->assertSame('dave', $cpanel->cpanelprint('$user'));

        $result = null;
        $elapsed = self::timed(function () use ($cpanel, &$result) {
            $result = $cpanel->uapi('Slow', 'sleep', array('seconds' => 3));
        });

        $this->assertGreaterThanOrEqual(2.9, $elapsed);
        $this->assertSame(1, $result['cpanelresult']['result']['status']);
        $this->assertSame('Slow', $result['cpanelresult']['module']);
        $this->assertSame(['seconds' => 3], $result['cpanelresult']['result']['data']['args']);
        $this->assertSame('/home/dave', $cpanel->cpanelprint('$homedir'), 'the next call is in step');
        $cpanel->end();
    }

    /**
     * Without keep-alive the same call hits the timeout: an exception, never
     * the previous result, and the session refuses further calls.
     */
    public function testSlowCallWithoutKeepAliveThrowsInsteadOfReturningStaleData(): void
    {
        $this->startReferenceServer();
        $cpanel = new CPANEL();
        $cpanel->set_timeout(0.5);
        $this->assertSame('dave', $cpanel->cpanelprint('$user'));

        try {
            $cpanel->uapi('Slow', 'sleep', array('seconds' => 2));
            $this->fail('the call returned although the server did not answer in time');
        } catch (CPANEL_SocketException $e) {
            $this->assertSame(CPANEL::ETIMEDOUT, $e->getCode());
            $this->assertStringContainsString('did not answer within 0.5 seconds', $e->getMessage());
        }
        $this->assertSame(0, $cpanel->connected);
        $this->expectException(RuntimeException::class);
        $this->expectExceptionMessage(CPANEL::CLOSED_MESSAGE);
        $cpanel->cpanelprint('$homedir');
    }

    public function testServerKilledBetweenCallsMakesTheNextCallThrow(): void
    {
        $server = $this->startReferenceServer();
        $cpanel = new CPANEL();
        $this->assertSame('dave', $cpanel->cpanelprint('$user'));

        $server->kill();

        try {
            $result = $cpanel->cpanelprint('$user');
            $this->fail('a call on a dead connection returned ' . var_export($result, true));
        } catch (CPANEL_SocketException $e) {
            $this->assertStringContainsString('closed the connection', $e->getMessage());
        }
        $this->expectException(RuntimeException::class);
        $cpanel->get_result();
    }

    public function testServerKilledDuringACallMakesThatCallThrow(): void
    {
        $server = $this->startReferenceServer();
        $cpanel = new CPANEL();
        $cpanel->set_timeout(10);
        $this->assertSame(1, $cpanel->cpanelif('!$haspostgres'));
        $killer = Process::start(['sh', '-c', 'sleep 0.3; kill -KILL "$1"', 'sh', (string) $server->pid()]);

        $elapsed = self::timed(function () use ($cpanel) {
            try {
                $cpanel->uapi('Slow', 'sleep', array('seconds' => 5));
                $this->fail('the call returned although the server died');
            } catch (CPANEL_SocketException $e) {
                $this->assertStringContainsString('closed the connection before the reply was complete', $e->getMessage());
            }
        });

        $this->assertSame(0, $killer->wait(5.0));
        $this->assertLessThan(3.0, $elapsed, 'the call noticed the death at once');
        $this->assertSame(0, $cpanel->connected);
    }

    /**
     * With --raw the server does not escape "<", so an echoed
     * "</cpanelresult>" ends the frame early. The shim must say so, not
     * return a truncated or wrong result.
     */
    public function testUnescapedClosingTagInAReplyIsAProtocolError(): void
    {
        $this->startReferenceServer(['--raw']);
        $cpanel = new CPANEL();

        $this->expectException(CPANEL_ProtocolException::class);
        $this->expectExceptionMessage('invalid JSON');
        $cpanel->uapi('Test', 'echo', array('s' => 'a </cpanelresult> b'));
    }

    public function testEndIsIdempotentAndTheDestructorShutsDown(): void
    {
        $server = $this->startReferenceServer();
        $cpanel = new CPANEL();
        $cpanel->end();
        $cpanel->end();
        $this->assertSame(0, $cpanel->connected);

        $other = new CPANEL();
        $this->assertSame('dave', $other->cpanelprint('$user'));
        unset($other);

        $this->assertSame(2, substr_count($server->log(), '<cpanelxml shutdown="1" />'));
        // The server logs the close just after closing; give it a moment.
        $deadline = microtime(true) + 2.0;
        while (preg_match_all('/^closed$/m', $server->log()) < 2 && microtime(true) < $deadline) {
            usleep(10000);
        }
        $this->assertSame(2, preg_match_all('/^closed$/m', $server->log()));
    }

    /** What liveapid (and the reference server) answers to a request over its limit. */
    private static function overLimitText(int $bytes, int $limit): string
    {
        return "The request of $bytes bytes is over this server's limit of $limit bytes "
            . '(liveapid --max-request-bytes); the connection is closed.';
    }

    /** The payload size of the UAPI request api() sends for these arguments. */
    private static function uapiPayloadBytes(string $module, string $func, array $args): int
    {
        $json = json_encode(['module' => $module, 'reqtype' => 'exec', 'func' => $func, 'apiversion' => 'uapi', 'args' => $args]);
        return strlen("<cpanelaction>\n" . $json . "\n</cpanelaction>");
    }

    /**
     * A request over the server's limit, which the server reads to the end
     * before it answers "session":"closed" and closes: the call throws the
     * server's text (code EMSGSIZE), the session is closed, end() returns.
     */
    public function testRequestOverTheLimitThrowsTheServerText(): void
    {
        $server = $this->startReferenceServer(['--max-request-bytes', '4096']);
        $cpanel = new CPANEL();
        $cpanel->set_timeout(5);
        $this->assertSame('dave', $cpanel->cpanelprint('$user'), 'requests under the limit work');
        $args = array('blob' => str_repeat('x', 10000));

        try {
            $cpanel->uapi('Test', 'echo', $args);
            $this->fail('a request over the limit returned');
        } catch (CPANEL_SocketException $e) {
            $this->assertSame(CPANEL::EMSGSIZE, $e->getCode());
            $this->assertSame(self::overLimitText(self::uapiPayloadBytes('Test', 'echo', $args), 4096), $e->getMessage());
        }
        $this->assertSame(0, $cpanel->connected);
        $this->assertLessThan(1.0, self::timed([$cpanel, 'end']), 'end() after the close does not wait');
        $this->assertStringNotContainsString('shutdown', $server->log(), 'nothing was sent after the close');
        try {
            $cpanel->cpanelprint('$user');
            $this->fail('a call after the close returned');
        } catch (RuntimeException $e) {
            $this->assertStringStartsWith(CPANEL::CLOSED_MESSAGE, $e->getMessage());
        }
    }

    /**
     * A request far over the limit is answered at once, before the client
     * has written it all: the write fails (EPIPE or ECONNRESET), and the
     * shim reports the server's text from the frame waiting in the socket
     * instead of the bare write error.
     */
    public function testFailedWriteReportsTheServerTextWhenItSentOne(): void
    {
        $switches = ['--max-request-bytes', '4096', '--drain-cap', '4096'];
        $args = array('blob' => str_repeat('x', 1 << 20));
        $size = self::uapiPayloadBytes('Test', 'echo', $args);

        // The premise: a plain write of that request does fail.
        $this->startReferenceServer($switches);
        $raw = stream_socket_client('unix://' . getenv('CPANEL_PHPCONNECT_SOCKET'));
        $this->assertIsResource($raw);
        $sent = 0;
        $data = $size . "\n" . str_repeat('x', $size);
        while ($sent < strlen($data) && ($n = @fwrite($raw, substr($data, $sent, 1 << 20))) !== false && $n > 0) {
            $sent += $n;
        }
        $this->assertLessThan(strlen($data), $sent, 'the server closed before the request was written');
        $this->assertStringContainsString('"session":"closed"', (string) stream_get_contents($raw));
        fclose($raw);

        $cpanel = new CPANEL();
        $cpanel->set_timeout(5);
        try {
            $cpanel->uapi('Test', 'echo', $args);
            $this->fail('a request over the limit was sent');
        } catch (CPANEL_SocketException $e) {
            $this->assertSame(CPANEL::EMSGSIZE, $e->getCode());
            $this->assertSame(self::overLimitText($size, 4096), $e->getMessage());
        }
        $this->assertSame(0, $cpanel->connected);
        $this->assertLessThan(1.0, self::timed([$cpanel, 'end']));
    }

    /**
     * The example seed script, run as a script would be.
     */
    public function testExampleSeedScript(): void
    {
        $server = $this->startReferenceServer();

        [$exit, $stdout, $stderr] = Process::run(
            [PHP_BINARY, Paths::binding() . '/examples/passwd_pop.live.php'],
            ['CPANEL_PHPCONNECT_SOCKET' => $server->socketPath()]
        );

        $this->assertSame(0, $exit, $stderr);
        $this->assertStringContainsString('[status] => 1', $stdout);
        $lines = explode("\n", trim($stdout));
        $json = json_decode((string) end($lines), true);
        $this->assertSame(1, $json['cpanelresult']['result']['status']);
        $this->assertStringContainsString('"password":"12345luggage"', $server->log());
    }

    private function runEveryReplyForm(CPANEL $cpanel): void
    {
        $this->assertSame('json', $cpanel->get_result(), 'the JSON switch reply');

        $passwd = $cpanel->uapi('Email', 'passwd_pop', array(
            'email' => 'user', 'password' => '12345luggage', 'domain' => 'example.com',
        ));
        $this->assertSame(1, $passwd['cpanelresult']['result']['status']);
        $this->assertNull($passwd['cpanelresult']['result']['errors']);
        $this->assertSame(3, $passwd['cpanelresult']['apiversion']);

        $failure = $cpanel->uapi('Fail', 'now');
        $this->assertSame(0, $failure['cpanelresult']['result']['status']);
        $this->assertSame(['Mock failure requested.'], $failure['cpanelresult']['result']['errors']);

        $api2 = $cpanel->api2('Email', 'listpopswithdisk', array('domain' => 'example.com'));
        $this->assertArrayNotHasKey('cpanelresult', $api2['cpanelresult'], 'API2 must not be wrapped twice');
        $this->assertSame([['domain' => 'example.com']], $api2['cpanelresult']['data']);
        $this->assertSame(1, $api2['cpanelresult']['event']['result']);
        $this->assertSame([['domain' => 'example.com']], $cpanel->get_result());

        $api1 = $cpanel->api1('print', '', array('$homedir'));
        $this->assertSame('/home/dave', $api1['cpanelresult']['data']['result']);
        $this->assertSame('/home/dave', $cpanel->get_result());
        $this->assertSame('a,b', $cpanel->api1('Custom', 'join', array('a', 'b'))['cpanelresult']['data']['result']);

        $api3 = $cpanel->api3('Email', 'list_pops');
        $this->assertSame(['module' => 'Email', 'func' => 'list_pops', 'args' => []], $api3['cpanelresult']['result']['data']);

        $this->assertSame('/home/dave', $cpanel->fetch('$homedir')['cpanelresult']['data']['result']);
        $this->assertSame('dave', $cpanel->cpanelprint('$user'));

        $this->assertSame(1, $cpanel->cpanelif('!$haspostgres'));
        $this->assertSame(0, $cpanel->cpanelif('$haspostgres'));
        $this->assertSame(1, $cpanel->cpanelfeature('fileman'));
        $this->assertSame(0, $cpanel->cpanelfeature('no_such_feature'));

        $dom = $cpanel->uapi('Chrome', 'get_dom', array('page_title' => 'Mail'));
        $this->assertSame('</div></body></html>', $dom['cpanelresult']['result']['data']['footer']);
        $this->assertStringContainsString('<title>Web & Mail</title>', $cpanel->header('Web & Mail'));

        $echo = $cpanel->uapi('Test', 'echo', self::AWKWARD_ARGUMENTS);
        $this->assertSame(self::AWKWARD_ARGUMENTS, $echo['cpanelresult']['result']['data']['args']);
        $this->assertSame('dave', $cpanel->cpanelprint('$user'), 'still in step after the awkward reply');
    }
}
