<?php

namespace Liveapid\CpanelLiveapi\Tests;

use CPANEL;
use CPANEL_ProtocolException;
use CPANEL_SocketException;
use InvalidArgumentException;
use Liveapid\CpanelLiveapi\Tests\Support\GoldenVectors;
use Liveapid\CpanelLiveapi\Tests\Support\LiveApiTestCase;
use Liveapid\CpanelLiveapi\Tests\Support\Paths;
use Liveapid\CpanelLiveapi\Tests\Support\Process;
use OutOfBoundsException;
use RuntimeException;
use UnexpectedValueException;

/**
 * Every failure throws an SPL exception with a clear message (errno as code
 * where there is one), and no failure leaves a stale result behind.
 *
 * @group errors
 */
final class ErrorsTest extends LiveApiTestCase
{
    private const XML = "<?xml version=\"1.0\" ?>\n";

    public function testNoSocketVariable(): void
    {
        $this->expectException(RuntimeException::class);
        $this->expectExceptionMessage('neither CPANEL_PHPCONNECT_SOCKET nor CPANEL_CONNECT_SOCKET is set');
        new CPANEL();
    }

    public function testEmptySocketVariablesCountAsUnset(): void
    {
        putenv('CPANEL_PHPCONNECT_SOCKET=');
        putenv('CPANEL_CONNECT_SOCKET=');
        $this->expectException(RuntimeException::class);
        $this->expectExceptionMessage('neither CPANEL_PHPCONNECT_SOCKET nor CPANEL_CONNECT_SOCKET is set');
        new CPANEL();
    }

    public function testSocketPathMissing(): void
    {
        $path = $this->tmp->path('missing.sock');
        $this->useSocket($path);
        try {
            new CPANEL();
            $this->fail('connected to a socket that does not exist');
        } catch (CPANEL_SocketException $e) {
            $this->assertSame(2, $e->getCode(), 'ENOENT');
            $this->assertStringContainsString($path, $e->getMessage());
            $this->assertStringContainsString('No such file or directory', $e->getMessage());
        }
    }

    public function testNobodyListening(): void
    {
        $path = $this->tmp->path('stale.sock');
        $listener = stream_socket_server('unix://' . $path);
        fclose($listener); // the socket file stays, nobody accepts
        $this->useSocket($path);

        $this->expectException(CPANEL_SocketException::class);
        $this->expectExceptionCode(111); // ECONNREFUSED
        new CPANEL();
    }

    public function testSocketPathTooLong(): void
    {
        $this->useSocket($this->tmp->path(str_repeat('s', 110) . '.sock'));
        $this->expectException(CPANEL_SocketException::class);
        $this->expectExceptionCode(CPANEL::ENAMETOOLONG);
        new CPANEL();
    }

    public function testNoReplyToTheJsonSwitch(): void
    {
        $this->startScriptedServer([['close' => true]]);
        $this->expectException(CPANEL_SocketException::class);
        $this->expectExceptionMessage('closed the connection before the reply was complete (0 bytes received)');
        new CPANEL();
    }

    public function testConnectionLostInTheMiddleOfAReply(): void
    {
        $this->startScriptedServer([
            GoldenVectors::bytes('1-server-1'),
            GoldenVectors::bytes('7-server-1'),
            ['chunks' => [self::XML . '<cpanelresult>{"apiversion":3,"func"'], 'close' => true],
        ]);
        $cpanel = new CPANEL();
        $this->assertSame('cow', $cpanel->cpanelprint('cow'));

        try {
            $cpanel->uapi('Email', 'list_pops');
            $this->fail('a truncated reply was accepted');
        } catch (CPANEL_SocketException $e) {
            $this->assertSame(0, $e->getCode());
            $this->assertStringContainsString('closed the connection before the reply was complete (59 bytes received)', $e->getMessage());
        }
        $this->assertSame(0, $cpanel->connected);
        $this->assertNoResultAndClosed($cpanel);
    }

    /**
     * @return array<string, array{0: string, 1: string}>
     */
    public function malformedFrames(): array
    {
        return [
            'invalid JSON' => [
                self::XML . "<cpanelresult>{\"data\":}</cpanelresult>\n",
                'invalid JSON in a 9-byte reply: Syntax error',
            ],
            'not a cpanelresult element' => [
                "HTTP/1.0 400 Bad Request\r\n\r\n</cpanelresult>\n",
                'expected <cpanelresult>, got HTTP/1.0 400',
            ],
            'a JSON array' => [
                self::XML . "<cpanelresult>[1,2]</cpanelresult>\n",
                'is not a JSON object',
            ],
            'legacy XML' => [
                self::XML . "<cpanelresult><data><result>1</result></data></cpanelresult>\n",
                'legacy XML replies are not supported',
            ],
            'unterminated declaration' => [
                "<?xml version=\"1.0\" <cpanelresult>{}</cpanelresult>\n",
                'unterminated <?xml declaration',
            ],
        ];
    }

    /**
     * @dataProvider malformedFrames
     */
    public function testMalformedReplyThrows(string $frame, string $message): void
    {
        $this->startScriptedServer([GoldenVectors::bytes('1-server-1'), $frame]);
        $cpanel = new CPANEL();

        try {
            $cpanel->uapi('Email', 'list_pops');
            $this->fail('a malformed reply was accepted');
        } catch (CPANEL_ProtocolException $e) {
            $this->assertInstanceOf(UnexpectedValueException::class, $e);
            $this->assertStringContainsString($message, $e->getMessage());
        }
        $this->assertNoResultAndClosed($cpanel);
    }

    /**
     * The real engine's live mode can append a second `</cpanelresult>` line;
     * the official class would then be one reply behind for the rest of the
     * session. Here the next call refuses to go on.
     */
    public function testBytesAfterAReplyAreDetectedBeforeTheNextCall(): void
    {
        $this->startScriptedServer([
            GoldenVectors::bytes('1-server-1'),
            GoldenVectors::bytes('10-server-2') . "</cpanelresult>\n",
            GoldenVectors::bytes('7-server-1'),
        ]);
        $cpanel = new CPANEL();
        $this->assertSame('No Valid Command Given.', $cpanel->exec('bogus')['cpanelresult']['error']);

        $this->expectException(CPANEL_ProtocolException::class);
        $this->expectExceptionMessage('15 unexpected bytes between replies');
        $cpanel->cpanelprint('cow');
    }

    /**
     * An empty frame becomes the official synthetic error (what cPanel sends
     * when it cannot report an error), not an exception.
     */
    public function testEmptyFrameGivesTheOfficialSyntheticError(): void
    {
        $this->startScriptedServer([GoldenVectors::bytes('1-server-1'), self::XML . "<cpanelresult></cpanelresult>\n"]);
        $cpanel = new CPANEL();

        $result = $cpanel->uapi('Email', 'list_pops');

        $message = 'Error cannot be propagated to liveapi, please check the cPanel error_log.';
        $this->assertSame(['cpanelresult' => ['error' => $message, 'result' => ['errors' => [$message]]]], $result);
        $this->expectException(OutOfBoundsException::class);
        $cpanel->get_result();
    }

    /**
     * json_encode fails on invalid UTF-8: the official class then sends an
     * empty <cpanelaction>. Here nothing is sent, the exception does not
     * reveal the arguments, and the session goes on.
     */
    public function testArgumentsThatCannotBeEncodedThrowAndSendNothing(): void
    {
        $server = $this->startScriptedServer([GoldenVectors::bytes('1-server-1'), GoldenVectors::bytes('7-server-1')]);
        $cpanel = new CPANEL();

        try {
            $cpanel->uapi('Email', 'passwd_pop', array('email' => 'user', 'password' => "secret-\xff-pw"));
            $this->fail('invalid UTF-8 was encoded');
        } catch (InvalidArgumentException $e) {
            $this->assertSame(JSON_ERROR_UTF8, $e->getCode());
            $this->assertStringContainsString('Email::passwd_pop', $e->getMessage());
            $this->assertStringContainsString('Malformed UTF-8', $e->getMessage());
            $this->assertStringNotContainsString('secret', $e->getMessage());
        }
        $this->assertSame(1, $cpanel->connected);
        $this->assertSame('cow', $cpanel->cpanelprint('cow'));
        $cpanel->end();

        $requests = $server->requests();
        $this->assertCount(3, $requests, 'switch, cpanelprint, shutdown: nothing for the failed call');
        $this->assertStringNotContainsString("<cpanelaction>\n\n</cpanelaction>", implode('', $requests));
    }

    public function testCallsAfterEndThrow(): void
    {
        $this->startScriptedServer([GoldenVectors::bytes('1-server-1')]);
        $cpanel = new CPANEL();
        $cpanel->end();

        foreach ([
            function () use ($cpanel) {
                $cpanel->uapi('Email', 'list_pops');
            },
            function () use ($cpanel) {
                $cpanel->fetch('$homedir');
            },
            function () use ($cpanel) {
                $cpanel->exec('<cpanel print="$user">');
            },
        ] as $call) {
            try {
                $call();
                $this->fail('a call after end() went through');
            } catch (RuntimeException $e) {
                $this->assertSame(CPANEL::CLOSED_MESSAGE . ' (end() was called)', $e->getMessage());
            }
        }
    }

    /**
     * A write that fails with no explanation waiting in the socket is still
     * the plain socket error (the engine's "session":"closed" text is only
     * used when it sent one).
     */
    public function testFailedWriteWithoutAClosingFrameIsASocketError(): void
    {
        $this->startScriptedServer([GoldenVectors::bytes('1-server-1')], ['hang_up_at' => 1]);
        $cpanel = new CPANEL();
        $cpanel->set_timeout(5);

        try {
            $cpanel->uapi('Test', 'echo', array('blob' => str_repeat('x', 1 << 20)));
            $this->fail('a request to an engine that hung up was sent');
        } catch (CPANEL_SocketException $e) {
            $this->assertContains($e->getCode(), [CPANEL::EPIPE, CPANEL::ECONNRESET], $e->getMessage());
            $this->assertStringStartsWith('Cannot send the request to the cPanel engine: ', $e->getMessage());
        }
        $this->assertSame(0, $cpanel->connected);
    }

    public function testEndReturnsWhenTheServerIsAlreadyGone(): void
    {
        $this->startScriptedServer([['chunks' => [GoldenVectors::bytes('1-server-1')], 'close' => true]]);
        $cpanel = new CPANEL();
        usleep(100000);

        $this->assertLessThan(1.0, self::timed([$cpanel, 'end']));
        $this->assertSame(0, $cpanel->connected);
    }

    public function testEndTimesOutWhenTheServerDoesNotClose(): void
    {
        $this->startScriptedServer([GoldenVectors::bytes('1-server-1')], ['linger_on_shutdown' => 3.0]);
        $cpanel = new CPANEL();
        $cpanel->set_timeout(0.3);

        $elapsed = self::timed(function () use ($cpanel) {
            try {
                $cpanel->end();
                $this->fail('end() returned although the server kept the connection open');
            } catch (CPANEL_SocketException $e) {
                $this->assertSame(CPANEL::ETIMEDOUT, $e->getCode());
            }
        });

        $this->assertLessThan(1.5, $elapsed);
        $this->assertSame(0, $cpanel->connected, 'the socket is closed anyway');
        $cpanel->end(); // and a second end() is a no-op
    }

    public function testSetDebugRejectsNonNumericLevels(): void
    {
        $this->startScriptedServer([GoldenVectors::bytes('1-server-1')]);
        $cpanel = new CPANEL();

        try {
            $cpanel->set_debug('verbose');
            $this->fail('a non-numeric level was accepted');
        } catch (UnexpectedValueException $e) {
            $this->assertSame('CPANEL::set_debug given non-integer value.', $e->getMessage());
        }
        $this->assertSame(0, $cpanel->get_debug_level());
        $cpanel->end();
    }

    public function testSetTimeoutValidatesItsArgument(): void
    {
        $this->startScriptedServer([GoldenVectors::bytes('1-server-1')]);
        $cpanel = new CPANEL();
        $this->assertSame(10.0, $cpanel->get_timeout(), 'default_socket_timeout from phpunit.xml.dist');

        $cpanel->set_timeout(0);
        $this->assertNull($cpanel->get_timeout());
        $cpanel->set_timeout('2.5');
        $this->assertSame(2.5, $cpanel->get_timeout());

        $this->expectException(InvalidArgumentException::class);
        $cpanel->set_timeout('soon');
    }

    /**
     * The debug log records the traffic but never a password value, and is
     * created readable by its owner only.
     */
    public function testDebugLogRedactsPasswords(): void
    {
        $server = $this->startReferenceServer();
        $log = $this->tmp->path('livephp.log');
        $password = 'Sup3r-Secret/Value&1';

        [$exit, $stdout, $stderr] = Process::run(
            [PHP_BINARY, Paths::fixture('debug-session.php'), $log],
            ['CPANEL_PHPCONNECT_SOCKET' => $server->socketPath(), 'LIVEAPI_TEST_PASSWORD' => $password]
        );

        $this->assertSame(0, $exit, $stderr);
        $this->assertStringContainsString("level=1\nlog=$log\nstatus=1\n", $stdout);
        $text = (string) file_get_contents($log);
        $this->assertStringContainsString('(exec) SEND:<cpaneljson enable="1">', $text);
        $this->assertStringContainsString('"email":"user","password":"[redacted]","domain":"example.com"', $text);
        $this->assertStringContainsString('{"oldpass":"[redacted]","newpass":"[redacted]"}', $text);
        $this->assertStringContainsString('(exec) RECV:<?xml version="1.0" ?>', $text);
        $this->assertStringContainsString('(end) SEND:<cpanelxml shutdown="1" />', $text);
        $this->assertStringNotContainsString('Secret', $text);
        $this->assertSame(0600, fileperms($log) & 0777);
        $this->assertStringContainsString('Sup3r-Secret', $server->log(), 'the password did go to the server');
    }

    /** After a failed call: no stale result, and the session refuses further calls. */
    private function assertNoResultAndClosed(CPANEL $cpanel): void
    {
        try {
            $cpanel->get_result();
            $this->fail('get_result() returned a result after a failed call');
        } catch (UnexpectedValueException $e) {
            $this->assertSame('No previous result exists', $e->getMessage());
        }
        try {
            $cpanel->cpanelprint('cow');
            $this->fail('the session went on after a broken reply');
        } catch (RuntimeException $e) {
            $this->assertStringStartsWith(CPANEL::CLOSED_MESSAGE, $e->getMessage());
        }
    }
}
