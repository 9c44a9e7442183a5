<?php

namespace Liveapid\CpanelLiveapi\Tests\Support;

use PHPUnit\Framework\TestCase;

/**
 * Common ground of the suites: a scratch directory, a clean socket
 * environment (both variables unset unless a test sets them), timing helpers.
 */
abstract class LiveApiTestCase extends TestCase
{
    private const SOCKET_VARIABLES = ['CPANEL_PHPCONNECT_SOCKET', 'CPANEL_CONNECT_SOCKET'];

    /** @var TempDir */
    protected $tmp;

    /** @var array<string, string|false> */
    private $savedEnvironment = [];

    /** @var object[] Servers to stop after the test. */
    private $servers = [];

    protected function setUp(): void
    {
        parent::setUp();
        foreach (self::SOCKET_VARIABLES as $name) {
            $this->savedEnvironment[$name] = getenv($name);
            putenv($name);
        }
        $this->tmp = new TempDir();
    }

    protected function tearDown(): void
    {
        foreach ($this->servers as $server) {
            $server->stop();
        }
        $this->servers = [];
        foreach ($this->savedEnvironment as $name => $value) {
            putenv($value === false ? $name : $name . '=' . $value);
        }
        $this->tmp->remove();
        parent::tearDown();
    }

    /** Point both socket variables at $path, as cpsrvd does. */
    protected function useSocket(string $path): void
    {
        putenv('CPANEL_PHPCONNECT_SOCKET=' . $path);
        putenv('CPANEL_CONNECT_SOCKET=' . $path);
    }

    /**
     * Start the reference server (skipping the test only where python3 is missing).
     *
     * @param string[] $switches
     */
    protected function startReferenceServer(array $switches = []): ReferenceServer
    {
        $why = ReferenceServer::unavailableReason();
        if ($why !== null) {
            $this->markTestSkipped($why);
        }
        $server = ReferenceServer::start($this->tmp, $switches);
        $this->servers[] = $server;
        $this->useSocket($server->socketPath());
        return $server;
    }

    /**
     * Start a scripted server and point the socket variables at it.
     *
     * @param array<int, string|array{chunks?: string[], delay?: float, close?: bool}> $replies
     * @param array{linger_on_shutdown?: float, hang_up_at?: int}                      $options
     */
    protected function startScriptedServer(array $replies, array $options = []): ScriptedServer
    {
        $server = ScriptedServer::start($this->tmp, $replies, $options);
        $this->servers[] = $server;
        $this->useSocket($server->socketPath());
        return $server;
    }

    /**
     * Run $operation and return how long it took, in seconds.
     */
    protected static function timed(callable $operation): float
    {
        $start = microtime(true);
        $operation();
        return microtime(true) - $start;
    }
}
